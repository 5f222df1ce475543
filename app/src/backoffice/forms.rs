//! What every staff form shares. A refused form comes back to its page with
//! what was typed and a message next to each field; after a change the next
//! page says what was done. Both travel as a "flash" kept with the session
//! (no cookie size limit, shared by instances) and are shown once.
//!
//! Also the parsers of the fields staff forms have in common (dates, lines,
//! rich text, the dated fact of a status event), each noting its problem
//! against its field.
use crate::domain::MissingTranslation;
use crate::i18n::Locale;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Rich text from staff is capped well above any real summary or appeal.
pub const MAX_RICH_TEXT_CHARS: usize = 20_000;

/// A staff form that came back to its page: what was typed and what is wrong
/// with it (field name → interface-string key), or, after a change, what was
/// done. Kept with the session until the next page shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFlash {
    /// Which form on the page it belongs to.
    pub form: String,
    pub values: BTreeMap<String, String>,
    pub errors: BTreeMap<String, String>,
    /// Interface-string key of what was done.
    pub notice: Option<String>,
    /// A publication refused: what each required language still lacks.
    #[serde(default)]
    pub missing: Vec<MissingTranslation>,
    /// What the page shows this once and nothing keeps (new recovery codes).
    #[serde(default)]
    pub shown_once: Vec<String>,
}

impl FormFlash {
    /// The value typed in `field` of `form`, if this flash is that form's.
    pub fn value(&self, form: &str, field: &str) -> Option<String> {
        (self.form == form && self.notice.is_none())
            .then(|| self.values.get(field).cloned())
            .flatten()
    }

    /// Whether `flash` is form `form` come back refused: the page opens
    /// that form again, folded or not.
    pub fn refused(flash: &Option<FormFlash>, form: &str) -> bool {
        flash
            .as_ref()
            .is_some_and(|f| f.form == form && f.notice.is_none())
    }

    pub fn error(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form)
            .then(|| self.errors.get(field).map(String::as_str))
            .flatten()
    }
}

/// Collects the problems of a submitted form, field by field.
#[derive(Debug, Default)]
pub struct Problems(pub BTreeMap<String, String>);

impl Problems {
    /// The parsed value, or `None` with `key` noted against `field`.
    pub fn check<T, E>(&mut self, field: &str, parsed: Result<T, E>, key: &str) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(_) => {
                self.add(field, key);
                None
            }
        }
    }

    /// Notes a problem; the first one noted for a field is the one shown.
    pub fn add(&mut self, field: &str, key: &str) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| key.to_owned());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A single problem, for a refusal found after parsing (a taken slug).
    pub fn one(field: &str, key: &str) -> Self {
        let mut problems = Self::default();
        problems.add(field, key);
        problems
    }
}

/// How a field written per language is typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// One line (a title, a name).
    Line,
    /// Rich text, sanitized as it comes in.
    Rich,
}

/// The form field of `field` in `language`: every form with text written
/// per language names its fields so (`title_fr`, `summary_nl`), one fieldset
/// per language.
pub fn language_field(field: &str, language: Locale) -> String {
    format!("{field}_{}", language.code())
}

/// The form field of the box "this translation, left as it is, still says
/// what the changed original says" of `language`.
pub fn checked_field(language: Locale) -> String {
    format!("checked_{}", language.code())
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::session::on_server::{self as session, session_token};
    use crate::domain::{Line, PartialDate, Status};
    use crate::error::AppError;
    use crate::records::translations::TypedTranslations;
    use crate::server::context::{db, is_plain_form_post, request_parts};
    use chrono::NaiveDate;

    /// A flash waits in the session's row, and may hold what was typed, or
    /// recovery codes: sealed.
    use crate::server::data_key::purpose::SESSION_FLASH as SEALED_FLASH;

    async fn store_flash(flash: &FormFlash) -> Result<(), AppError> {
        let (Some(token), Ok(json)) = (session_token(), serde_json::to_string(flash)) else {
            return Ok(());
        };
        let sealed = crate::server::data_key::installed().seal(SEALED_FLASH, &json);
        Ok(session::set_flash(&db()?, &token, &sealed).await?)
    }

    /// A notice with lines the page shows this once (new recovery codes),
    /// kept only in this session's flash, sealed, until the page reads it.
    pub async fn store_flash_shown_once(
        form: &str,
        notice: &str,
        lines: Vec<String>,
    ) -> Result<(), AppError> {
        store_flash(&FormFlash {
            form: form.to_owned(),
            notice: Some(notice.to_owned()),
            shown_once: lines,
            ..FormFlash::default()
        })
        .await
    }

    /// The flash left by the last staff form, once.
    pub async fn take_form_flash() -> Option<FormFlash> {
        let token = session_token()?;
        let db = db().ok()?;
        let open = |sealed: String| {
            crate::server::data_key::installed()
                .open(SEALED_FLASH, &sealed)
                .ok()
        };
        match session::take_flash(&db, &token).await {
            Ok(sealed) => sealed
                .and_then(open)
                .and_then(|json| serde_json::from_str(&json).ok()),
            Err(error) => {
                tracing::error!(%error, "cannot read the form flash");
                None
            }
        }
    }

    /// What a form's fields held, as the page shows them again. Never a password.
    pub fn values_of(form: &impl Serialize) -> BTreeMap<String, String> {
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(form) else {
            return BTreeMap::new();
        };
        fields
            .into_iter()
            .filter(|(name, _)| !name.contains("password"))
            .map(|(name, value)| {
                let text = match value {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Array(items) => items
                        .iter()
                        .filter_map(|item| item.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (name, text)
            })
            .collect()
    }

    /// Refuses a form and changes nothing. A browser's form post goes back to
    /// its page (leptos_axum redirects to the Referer), which shows the typed
    /// values and each problem next to its field; another caller gets 400 and
    /// the problems as `field=key` pairs.
    pub async fn refuse(
        form: &str,
        values: &impl Serialize,
        problems: Problems,
    ) -> Result<(), AppError> {
        if is_plain_form_post(&request_parts()?.headers) {
            return store_flash(&FormFlash {
                form: form.to_owned(),
                values: values_of(values),
                errors: problems.0,
                ..FormFlash::default()
            })
            .await;
        }
        let pairs: Vec<String> = problems.0.iter().map(|(f, k)| format!("{f}={k}")).collect();
        Err(AppError::Invalid(pairs.join(", ")))
    }

    /// Refuses a publication that waits for translations, and changes
    /// nothing: the message is noted against `field`, and the page (or
    /// another caller's error) names what each language lacks.
    pub async fn refuse_untranslated(
        form: &str,
        values: &impl Serialize,
        field: &str,
        missing: Vec<MissingTranslation>,
    ) -> Result<(), AppError> {
        let key = "staff.publish_waits_for_translations";
        if is_plain_form_post(&request_parts()?.headers) {
            return store_flash(&FormFlash {
                form: form.to_owned(),
                values: values_of(values),
                errors: Problems::one(field, key).0,
                missing,
                ..FormFlash::default()
            })
            .await;
        }
        let lacking: Vec<String> = missing
            .iter()
            .map(|m| format!("{}: {}", m.language.code(), m.fields.join(" ")))
            .collect();
        Err(AppError::Invalid(format!(
            "{field}={key} ({})",
            lacking.join(", ")
        )))
    }

    /// After a change: say what was done on the next page, and go there.
    pub async fn done(form: &str, notice: &str, to: &str) -> Result<(), AppError> {
        store_flash(&FormFlash {
            form: form.to_owned(),
            notice: Some(notice.to_owned()),
            ..FormFlash::default()
        })
        .await?;
        crate::server::context::redirect(to)
    }

    /// An optional line of text: empty is none.
    pub fn optional_line(
        problems: &mut Problems,
        field: &str,
        input: &str,
    ) -> Option<Option<Line>> {
        if input.trim().is_empty() {
            return Some(None);
        }
        problems
            .check(field, Line::parse(input), "form.invalid_line")
            .map(Some)
    }

    /// An optional web address, rendered as a link: only http(s) will do.
    pub fn optional_web_address(
        problems: &mut Problems,
        field: &str,
        input: &str,
    ) -> Option<Option<String>> {
        match input.trim() {
            "" => Some(None),
            typed => problems
                .check(
                    field,
                    crate::server::sanitize::web_address(typed).ok_or(()),
                    "form.invalid_url",
                )
                .map(Some),
        }
    }

    /// A required line of text.
    pub fn required_line(problems: &mut Problems, field: &str, input: &str) -> Option<Line> {
        match input.trim() {
            "" => {
                problems.add(field, "form.required");
                None
            }
            typed => problems.check(field, Line::parse(typed), "form.invalid_line"),
        }
    }

    /// A required full calendar date that has come (`today` at the latest);
    /// `future` names the problem of a date still to come.
    pub fn past_full_date(
        problems: &mut Problems,
        field: &str,
        input: &str,
        today: NaiveDate,
        future: &str,
    ) -> Option<NaiveDate> {
        if input.trim().is_empty() {
            problems.add(field, "form.required");
            return None;
        }
        let day = full_date(problems, field, input)?;
        if day > today {
            problems.add(field, future);
            return None;
        }
        Some(day)
    }

    /// Optional rich text, sanitized: `None` when left empty. Typed text that
    /// sanitizing leaves empty is a problem, not an empty field: storing
    /// nothing would lose it (or delete a translation) while saying "saved".
    pub fn rich_or_none(
        problems: &mut Problems,
        field: &str,
        input: &str,
    ) -> Option<Option<String>> {
        let html = rich(problems, field, input)?;
        if html.is_empty() && !input.trim().is_empty() {
            problems.add(field, "form.nothing_left");
            return None;
        }
        Some(Some(html).filter(|h| !h.is_empty()))
    }

    /// Rich text, sanitized as it comes in; empty stays empty.
    pub fn rich(problems: &mut Problems, field: &str, input: &str) -> Option<String> {
        if input.chars().count() > MAX_RICH_TEXT_CHARS {
            problems.add(field, "form.too_long");
            return None;
        }
        Some(crate::server::sanitize::rich_text(input.trim()))
    }

    /// A required partial date: 2022, 2022-12 or 2022-12-05.
    pub fn date(problems: &mut Problems, field: &str, input: &str) -> Option<PartialDate> {
        if input.trim().is_empty() {
            problems.add(field, "form.required");
            return None;
        }
        problems.check(field, PartialDate::parse(input.trim()), "form.invalid_date")
    }

    /// A full calendar date, YYYY-MM-DD.
    pub fn full_date(problems: &mut Problems, field: &str, input: &str) -> Option<NaiveDate> {
        problems.check(
            field,
            NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d"),
            "form.invalid_full_date",
        )
    }

    /// What every status event states, checked: its date (required, partial
    /// allowed), an optional change of status, and its title. Used by the
    /// status update form and the feed inbox's publish form alike.
    pub struct DatedFact {
        pub occurred_on: PartialDate,
        pub status: Option<Status>,
        pub title: Line,
    }

    /// `None` when a field has a problem, which is then in `problems`.
    pub fn dated_fact(
        problems: &mut Problems,
        occurred_on: &str,
        status: &str,
        title_field: &str,
        title: &str,
    ) -> Option<DatedFact> {
        let occurred_on = date(problems, "occurred_on", occurred_on);
        let status = match status.trim() {
            "" => Some(None),
            slug => problems
                .check("status", Status::parse(slug), "form.invalid_choice")
                .map(Some),
        };
        let title = problems.check(title_field, Line::parse(title), "form.invalid_line");
        Some(DatedFact {
            occurred_on: occurred_on?,
            status: status?,
            title: title?,
        })
    }

    pub use crate::records::translations::Publication;

    /// The text of a form written per language, parsed: the original in its
    /// language and what was typed in each other language.
    #[derive(Debug)]
    pub struct LanguageInput {
        pub original_language: Locale,
        /// Each field's original text; `None` when empty.
        pub originals: Vec<(&'static str, Option<String>)>,
        /// Each other language's text of each field; `None` when empty.
        pub translations: Vec<(Locale, &'static str, Option<String>)>,
        /// Languages whose translation, as it is, was confirmed to still hold.
        pub checked: Vec<Locale>,
    }

    impl LanguageInput {
        /// What was typed in the other languages, as `write_translations` takes it.
        pub fn typed(&self) -> TypedTranslations<'_> {
            TypedTranslations {
                original_language: self.original_language,
                translations: &self.translations,
                checked: &self.checked,
            }
        }

        pub fn original(&self, field: &str) -> Option<&str> {
            self.originals
                .iter()
                .find(|(f, _)| *f == field)
                .and_then(|(_, text)| text.as_deref())
        }
    }

    /// Parses the fields written per language of `form` (named by
    /// [`language_field`], the original chosen in `original_language`, else
    /// the page's `lang`):
    /// lines and rich text checked and trimmed, the `required` ones needed in
    /// the original. A translation of an empty original would be lost: it is
    /// refused, what was typed kept. Every problem is noted next to its field.
    pub fn parse_languages(
        problems: &mut Problems,
        form: &impl Serialize,
        fields: &[(&'static str, TextKind)],
        required: &[&str],
    ) -> Option<LanguageInput> {
        let values = values_of(form);
        // Not chosen (a client other than our pages): the writer's language.
        let chosen = match values.get("original_language").map(|code| code.trim()) {
            Some(code) if !code.is_empty() => code,
            _ => values.get("lang").map(String::as_str).unwrap_or("en"),
        };
        let original = problems.check(
            "original_language",
            Locale::from_code(chosen).ok_or(()),
            "form.invalid_choice",
        );
        let language = original.unwrap_or_default();
        let mut parsed = Vec::new();
        let mut empty_originals = Vec::new();
        for other in Locale::ALL {
            for &(field, kind) in fields {
                let typed = values
                    .get(&language_field(field, other))
                    .map(String::as_str)
                    .unwrap_or_default();
                let value = parse_field(problems, field, kind, other, typed);
                // Judged on the original as it will be stored: rich text
                // that sanitizes to nothing is no original either.
                if other == language && matches!(value, Some(None)) {
                    empty_originals.push(field);
                }
                let value = match value {
                    Some(None) if other == language && required.contains(&field) => {
                        problems.add(&language_field(field, other), "form.required");
                        None
                    }
                    value => value,
                };
                parsed.push((other, field, value));
            }
        }
        refuse_orphans(problems, &mut parsed, language, &empty_originals);
        let mut originals = Vec::new();
        let mut translations = Vec::new();
        for (other, field, value) in parsed {
            let value = value?;
            if other == language {
                originals.push((field, value));
            } else {
                translations.push((other, field, value));
            }
        }
        Some(LanguageInput {
            original_language: original?,
            originals,
            translations,
            checked: Locale::ALL
                .into_iter()
                .filter(|l| *l != language)
                .filter(|l| {
                    values
                        .get(&checked_field(*l))
                        .is_some_and(|v| !v.trim().is_empty())
                })
                .collect(),
        })
    }

    /// One field in one language, checked as its kind is: `Some(None)` when
    /// left empty, `None` when it has a problem.
    fn parse_field(
        problems: &mut Problems,
        field: &str,
        kind: TextKind,
        language: Locale,
        typed: &str,
    ) -> Option<Option<String>> {
        let name = language_field(field, language);
        match kind {
            TextKind::Rich => rich_or_none(problems, &name, typed),
            TextKind::Line => optional_line(problems, &name, typed).map(|l| l.map(String::from)),
        }
    }

    /// A translation of an empty original would be lost: refused, what was
    /// typed kept.
    fn refuse_orphans(
        problems: &mut Problems,
        parsed: &mut [(Locale, &'static str, Option<Option<String>>)],
        language: Locale,
        empty_originals: &[&str],
    ) {
        for (other, field, value) in parsed.iter_mut() {
            if *other != language
                && matches!(value, Some(Some(_)))
                && empty_originals.contains(field)
            {
                problems.add(
                    &language_field(field, *other),
                    "staff.translation_without_original",
                );
                *value = None;
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn text_per_language_is_in_the_writers_language_unless_chosen() {
            #[derive(Serialize)]
            struct Form {
                lang: &'static str,
                original_language: &'static str,
                summary_fr: &'static str,
                summary_nl: &'static str,
            }
            let fields = [("summary", TextKind::Rich)];
            let dutch = Form {
                lang: "nl",
                original_language: "",
                summary_fr: "",
                summary_nl: " <p>Verdediger<script>x</script></p> ",
            };
            let mut problems = Problems::default();
            let input = parse_languages(&mut problems, &dutch, &fields, &[]).unwrap();
            assert_eq!(input.original_language, Locale::Nl);
            assert_eq!(input.original("summary"), Some("<p>Verdediger</p>"));
            assert!(input.translations.iter().all(|(_, _, text)| text.is_none()));
            let french = Form {
                original_language: "fr",
                ..dutch
            };
            assert!(parse_languages(&mut problems, &french, &fields, &["summary"]).is_none());
            assert_eq!(problems.0["summary_fr"], "form.required");
            assert_eq!(
                problems.0["summary_nl"],
                "staff.translation_without_original"
            );
            // An original that sanitizes to nothing is none: its translation would be lost.
            let scripted = Form {
                original_language: "nl",
                summary_nl: "<script>alert(1)</script>",
                summary_fr: "<p>Défenseur</p>",
                ..dutch
            };
            let mut problems = Problems::default();
            assert!(parse_languages(&mut problems, &scripted, &fields, &[]).is_none());
            assert_eq!(problems.0["summary_nl"], "form.nothing_left");
        }

        #[test]
        fn dates_are_required_and_may_be_partial() {
            let mut problems = Problems::default();
            assert_eq!(
                date(&mut problems, "d", "2022-12").map(|d| d.to_string()),
                Some("2022-12".to_owned())
            );
            assert!(problems.is_empty());
            assert_eq!(date(&mut problems, "d", "  "), None);
            assert_eq!(date(&mut problems, "e", "5 December"), None);
            assert_eq!(problems.0["d"], "form.required");
            assert_eq!(problems.0["e"], "form.invalid_date");
        }

        #[test]
        fn full_dates_take_a_day() {
            let mut problems = Problems::default();
            assert!(full_date(&mut problems, "opens_on", "2026-01-01").is_some());
            assert!(full_date(&mut problems, "closes_on", "2026-01").is_none());
            assert_eq!(problems.0["closes_on"], "form.invalid_full_date");
        }

        #[test]
        fn rich_text_is_sanitized_and_bounded() {
            let mut problems = Problems::default();
            assert_eq!(
                rich(
                    &mut problems,
                    "body",
                    " <p onclick=\"x()\">Hi<script>1</script></p> "
                )
                .as_deref(),
                Some("<p>Hi</p>")
            );
            let long = "x".repeat(MAX_RICH_TEXT_CHARS + 1);
            assert_eq!(rich(&mut problems, "body", &long), None);
            assert_eq!(problems.0["body"], "form.too_long");
        }

        #[test]
        fn an_optional_line_may_be_empty_but_not_too_long() {
            let mut problems = Problems::default();
            assert_eq!(optional_line(&mut problems, "r", " "), Some(None));
            assert!(optional_line(&mut problems, "r", "CC 2026/123").is_some_and(|l| l.is_some()));
            let long = "x".repeat(Line::MAX_CHARS + 1);
            assert_eq!(optional_line(&mut problems, "s", &long), None);
            assert_eq!(problems.0["s"], "form.invalid_line");
        }

        #[test]
        fn a_dated_fact_reports_every_field_at_once() {
            let mut problems = Problems::default();
            let fact =
                dated_fact(&mut problems, "2026-11-20", "released", "title", "Released").unwrap();
            assert_eq!(fact.status, Some(Status::Released));
            assert_eq!(fact.title.as_str(), "Released");
            assert!(dated_fact(&mut problems, "", "freed", "title", "").is_none());
            let fields: Vec<&str> = problems.0.keys().map(String::as_str).collect();
            assert_eq!(fields, ["occurred_on", "status", "title"]);
            assert_eq!(
                dated_fact(&mut Problems::default(), "2021", "", "title", "A fact")
                    .map(|f| f.status),
                Some(None),
                "a fact that changes no status"
            );
        }
    }
}
