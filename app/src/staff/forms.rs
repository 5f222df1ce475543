//! What every staff form shares. A refused form comes back to its page with
//! what was typed and a message next to each field; after a change the next
//! page says what was done. Both travel as a "flash" kept with the session
//! (no cookie size limit, shared by instances) and are shown once.
//!
//! Also the parsers of the fields staff forms have in common (dates, lines,
//! rich text, the dated fact of a status event), each noting its problem
//! against its field.
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
}

impl FormFlash {
    /// The value typed in `field` of `form`, if this flash is that form's.
    pub fn value(&self, form: &str, field: &str) -> Option<String> {
        (self.form == form && self.notice.is_none())
            .then(|| self.values.get(field).cloned())
            .flatten()
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

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::domain::{Line, PartialDate, Status};
    use crate::error::AppError;
    use crate::server::context::{db, is_plain_form_post, request_parts};
    use crate::staff::session::on_server::{self as session, session_token};
    use chrono::NaiveDate;

    async fn store_flash(flash: &FormFlash) -> Result<(), AppError> {
        let (Some(token), Ok(json)) = (session_token(), serde_json::to_string(flash)) else {
            return Ok(());
        };
        Ok(session::set_flash(&db()?, &token, &json).await?)
    }

    /// The flash left by the last staff form, once.
    pub async fn take_form_flash() -> Option<FormFlash> {
        let token = session_token()?;
        let db = db().ok()?;
        match session::take_flash(&db, &token).await {
            Ok(json) => json.and_then(|json| serde_json::from_str(&json).ok()),
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
                notice: None,
            })
            .await;
        }
        let pairs: Vec<String> = problems.0.iter().map(|(f, k)| format!("{f}={k}")).collect();
        Err(AppError::Invalid(pairs.join(", ")))
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

    #[cfg(test)]
    mod tests {
        use super::*;

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
