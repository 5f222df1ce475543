//! Council members adopt a person for their municipality (name, aliases,
//! country, summary, rights, with the adoption itself), and edit a person
//! their municipality adopted. Every change is audited in its transaction.
use crate::backoffice::forms::TextKind;
use crate::domain::{Covered, Translatable, Translation};
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A name and its other spellings, for matching feed entries.
pub const MAX_ALIASES: usize = 20;

pub const PERSON_FORM: &str = "person";

/// The person form: adopting a new person (with the adoption) or editing one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersonForm {
    pub lang: String,
    /// The slug of the person being edited; empty when adopting a new one.
    pub person: String,
    pub full_name: String,
    /// New persons only; made from the name when left empty.
    pub slug: String,
    /// One other spelling per line.
    pub aliases: String,
    pub country: String,
    /// The language the summary is written in (`en`, `fr`, `nl`); the other
    /// languages' summaries are its translations.
    pub original_language: String,
    pub summary_en: String,
    pub summary_fr: String,
    pub summary_nl: String,
    /// Ticked: this language's summary, left as it is, still says what the
    /// changed original says.
    pub checked_en: String,
    pub checked_fr: String,
    pub checked_nl: String,
    pub rights: Vec<String>,
    pub is_public: String,
    /// Ticked: the country is kept for staff, never published.
    pub country_internal: String,
    /// Ticked: the summary is kept for staff, never published.
    pub summary_internal: String,
    /// Set by the "publish now, translations to follow" button.
    pub translations_to_follow: String,
    pub adopted_on: String,
    pub decision_reference: String,
    pub note: String,
}

/// The person's fields written per language.
pub const PERSON_FIELDS: [(&str, TextKind); 1] = [("summary", TextKind::Rich)];

/// The stored person, as the edit form shows it and the audit log records it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRecord {
    pub slug: String,
    pub full_name: String,
    pub aliases: Vec<String>,
    pub country: Option<String>,
    pub summary_html: Option<String>,
    pub rights: Vec<String>,
    pub is_public: bool,
    /// Kept for staff, never published.
    pub country_internal: bool,
    /// Kept for staff, never published.
    pub summary_internal: bool,
    /// A portrait is on record (`cases::portraits`); not a field of the form.
    #[serde(default)]
    pub has_portrait: bool,
    /// The language the summary is written in.
    pub original_language: Locale,
    /// The summary in the other languages, where written.
    pub translations: Vec<Translation>,
}

impl PersonRecord {
    /// What the person's public page shows, which consent must cover: a
    /// field kept internal is not shown.
    pub fn published_facts(&self) -> Vec<Covered> {
        Covered::shown(
            self.is_public,
            &[
                (
                    Covered::Story,
                    self.summary_html.is_some() && !self.summary_internal,
                ),
                (
                    Covered::Location,
                    self.country.is_some() && !self.country_internal,
                ),
                (Covered::Portrait, self.has_portrait),
            ],
        )
    }
}

impl Translatable for PersonRecord {
    fn fields(&self) -> &'static [&'static str] {
        &crate::domain::PERSON_FIELDS
    }

    fn original_language(&self) -> Locale {
        self.original_language
    }

    fn original(&self, field: &str) -> Option<&str> {
        (field == "summary")
            .then_some(self.summary_html.as_deref())
            .flatten()
    }

    fn translations(&self) -> &[Translation] {
        &self.translations
    }

    /// A summary kept internal is never published: no language waits for
    /// it, and it is not queued for translators.
    fn is_translated(&self, field: &str) -> bool {
        !(field == "summary" && self.summary_internal)
    }
}

#[server(prefix = "/api/staff", endpoint = "adopt-person")]
pub async fn adopt_person(#[server(flatten)] form: PersonForm) -> Result<(), AppError> {
    let user = require(Permission::ManageCases).await?;
    on_server::save_person(&user, form, true).await
}

#[server(prefix = "/api/staff", endpoint = "update-person")]
pub async fn update_person(#[server(flatten)] form: PersonForm) -> Result<(), AppError> {
    let user = require(Permission::ManageCases).await?;
    on_server::save_person(&user, form, false).await
}

#[cfg(feature = "ssr")]
use {crate::backoffice::session::on_server::require, crate::domain::Permission};

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::on_server::{
        done, parse_languages, refuse, refuse_untranslated, LanguageInput, Publication,
    };
    use crate::backoffice::forms::Problems;
    use crate::backoffice::StaffUser;
    use crate::cases::adoptions::on_server::{parse_adoption, Adoption, AdoptionStore};
    use crate::cases::consent::on_server::ConsentStore;
    use crate::domain::{CountryCode, Coverage, PersonName, RightsCategory, Slug};
    use crate::on_pool;
    use crate::records::owners::{case_to_change, council_municipality};
    use crate::records::translations::{publication_gate, write_translations, Kind, Translations};
    use crate::server::audit::{AuditEntry, RecordAudit};
    use crate::server::db::{BeginWrite, Db};

    /// A URL slug from a name: "Loujain al-Hathloul" → "loujain-al-hathloul".
    pub fn slug_from_name(name: &str) -> String {
        let ascii = deunicode::deunicode(name).to_lowercase();
        let mut slug = String::new();
        for c in ascii.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let mut slug: String = slug.chars().take(Slug::MAX_LEN).collect();
        while slug.ends_with('-') {
            slug.pop();
        }
        slug
    }

    /// The person part of the form, parsed.
    #[derive(Debug)]
    pub struct PersonInput {
        pub full_name: PersonName,
        pub aliases: Vec<PersonName>,
        pub country: Option<CountryCode>,
        /// The summary (sanitized) in every language.
        pub texts: LanguageInput,
        pub rights: Vec<RightsCategory>,
        pub is_public: bool,
        pub country_internal: bool,
        pub summary_internal: bool,
    }

    /// What adopting a new person adds: its address, and the adoption.
    #[derive(Debug)]
    pub struct NewPerson {
        pub slug: Slug,
        pub adoption: Adoption,
    }

    /// Parses the person form; a new person also needs a slug (made from
    /// the name when left empty) and the adoption. Every problem is noted;
    /// whether the country exists is checked against the database after.
    pub fn parse_person_form(
        problems: &mut Problems,
        form: &PersonForm,
        new: bool,
    ) -> Option<(PersonInput, Option<NewPerson>)> {
        let full_name = if form.full_name.trim().is_empty() {
            problems.add("full_name", "form.required");
            None
        } else {
            problems.check(
                "full_name",
                PersonName::parse(&form.full_name),
                "form.invalid_name",
            )
        };
        let mut aliases = Vec::new();
        for line in form.aliases.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(alias) =
                problems.check("aliases", PersonName::parse(line), "form.invalid_name")
            {
                if !aliases.contains(&alias) {
                    aliases.push(alias);
                }
            }
        }
        if aliases.len() > MAX_ALIASES {
            problems.add("aliases", "form.too_many_aliases");
        }
        let country = match form.country.trim() {
            "" => Some(None),
            code => problems
                .check("country", CountryCode::parse(code), "form.invalid_choice")
                .map(Some),
        };
        let texts = parse_languages(problems, form, &PERSON_FIELDS, &[]);
        let mut rights = Vec::new();
        for slug in &form.rights {
            if let Some(right) =
                problems.check("rights", RightsCategory::parse(slug), "form.invalid_choice")
            {
                if !rights.contains(&right) {
                    rights.push(right);
                }
            }
        }
        let new_person = if new {
            let wanted = match form.slug.trim() {
                "" => slug_from_name(&form.full_name),
                typed => typed.to_owned(),
            };
            let slug = problems.check("slug", Slug::parse(&wanted), "form.invalid_slug");
            let adoption = parse_adoption(
                problems,
                &form.adopted_on,
                &form.decision_reference,
                &form.note,
            );
            Some(
                slug.zip(adoption)
                    .map(|(slug, adoption)| NewPerson { slug, adoption }),
            )
        } else {
            Some(None)
        };
        let person = PersonInput {
            full_name: full_name?,
            aliases,
            country: country?,
            texts: texts?,
            rights,
            is_public: !form.is_public.is_empty(),
            country_internal: !form.country_internal.is_empty(),
            summary_internal: !form.summary_internal.is_empty(),
        };
        problems.is_empty().then_some((person, new_person?))
    }

    async fn country_exists(db: &Db, code: &CountryCode) -> Result<bool, sqlx::Error> {
        let n: i64 = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM countries WHERE code = $1"
        )
        .bind(code.as_str())
        .fetch_one(pool)
        .await)?;
        Ok(n > 0)
    }

    /// Adopts a new person (`new`), or edits one this municipality has adopted.
    #[tracing::instrument(skip_all, fields(actor = user.id, person = %form.person.trim(), new))]
    pub async fn save_person(
        user: &StaffUser,
        form: PersonForm,
        new: bool,
    ) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let (existing, municipality_id) = if new {
            (None, council_municipality(&db, user.acting()).await?)
        } else {
            let case = case_to_change(&db, user.acting(), &form.person).await?;
            (Some(case.person_id), case.municipality_id)
        };
        let mut problems = Problems::default();
        let parsed = parse_person_form(&mut problems, &form, new);
        // Checked whatever else is wrong, so every problem shows at once.
        if let Ok(code) = CountryCode::parse(form.country.trim()) {
            if !country_exists(&db, &code).await? {
                problems.add("country", "form.invalid_choice");
            }
        }
        let Some((person, new_person)) = parsed.filter(|_| problems.is_empty()) else {
            return refuse(PERSON_FORM, &form, problems).await;
        };
        let target = match (&new_person, existing) {
            (Some(new_person), _) => Target::New {
                new_person,
                municipality_id,
            },
            (None, Some(id)) => Target::Existing(id),
            (None, None) => return Err(AppError::not_found("person")),
        };
        let publication = if form.translations_to_follow.trim().is_empty() {
            Publication::Translated
        } else {
            Publication::TranslationsToFollow
        };
        match write_person(&db, user, target, &person, publication).await? {
            Written::Saved(slug) => {
                let notice = if new { "staff.adopted" } else { "staff.saved" };
                done(
                    PERSON_FORM,
                    notice,
                    &locale.path(&format!("/staff/persons/{slug}"), false),
                )
                .await
            }
            Written::SlugTaken => {
                refuse(PERSON_FORM, &form, Problems::one("slug", "form.slug_taken")).await
            }
            Written::WaitsForTranslations(missing) => {
                refuse_untranslated(PERSON_FORM, &form, "publish", missing).await
            }
            Written::TakenDown => {
                refuse(
                    PERSON_FORM,
                    &form,
                    Problems::one("is_public", "form.taken_down"),
                )
                .await
            }
            Written::NotConsented(lacking) => {
                let mut problems = Problems::default();
                for fact in lacking {
                    let field = match fact {
                        Covered::Name | Covered::Portrait => "is_public".to_owned(),
                        Covered::Story => {
                            format!("summary_{}", person.texts.original_language.code())
                        }
                        Covered::Location => "country".to_owned(),
                    };
                    problems.add(&field, &format!("form.consent_lacks_{}", fact.slug()));
                }
                refuse(PERSON_FORM, &form, problems).await
            }
        }
    }

    /// What saving a person did.
    enum Written {
        Saved(String),
        SlugTaken,
        /// Refused: made public before the languages its municipalities
        /// require were written (what each lacks); nothing changed.
        WaitsForTranslations(Vec<crate::domain::MissingTranslation>),
        /// Refused: public, it would show what consent does not cover
        /// (issue 29); nothing changed.
        NotConsented(Vec<Covered>),
        /// Refused: public, but the case was taken down (only an
        /// administrator's undo lifts that).
        TakenDown,
    }

    /// Which person a save writes.
    enum Target<'a> {
        New {
            new_person: &'a NewPerson,
            municipality_id: i64,
        },
        Existing(i64),
    }

    /// Writes the person (new, with this municipality's adoption, or edited)
    /// and the audit entries, in one transaction. Returns the person's slug,
    /// or `None` when a new person's slug is taken.
    async fn write_person(
        db: &Db,
        user: &StaffUser,
        target: Target<'_>,
        person: &PersonInput,
        publication: Publication,
    ) -> Result<Written, sqlx::Error> {
        let actor = user.actor();
        let now = crate::server::clock::now();
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let (id, before) = match target {
                Target::Existing(id) => {
                    let before = tx.person_record(id).await?;
                    tx.update_person(id, person).await?;
                    (id, before)
                }
                Target::New { new_person, .. } => {
                    let id = tx.insert_person(&new_person.slug, person).await?;
                    let Some(id) = id else {
                        return Ok(Written::SlugTaken);
                    };
                    (id, None)
                }
            };
            tx.replace_names_and_rights(id, person).await?;
            write_translations(
                &mut *tx,
                Kind::Person,
                id,
                before.as_ref(),
                &person.texts.typed(),
                user.id,
                now,
            )
            .await?;
            let after = tx.person_record(id).await?;
            let action = if before.is_some() {
                "person.update"
            } else {
                "person.create"
            };
            let entry = AuditEntry::new(actor, action, "person", id)
                .before_if(before.as_ref())
                .after(&after);
            tx.record_audit(&entry).await?;
            if let Target::New {
                new_person,
                municipality_id,
            } = target
            {
                tx.record_adoption(actor, id, municipality_id, &new_person.adoption)
                    .await?;
            }
            let Some(after) = after else {
                return Ok(Written::SlugTaken);
            };
            let consent = tx.consent_record(id).await?.map(|c| c.coverage());
            let lacking = Coverage::lacking(consent.as_ref(), &after.published_facts());
            if !lacking.is_empty() {
                return Ok(Written::NotConsented(lacking));
            }
            if after.is_public {
                let taken_down: bool = sqlx::query_scalar(concat!(
                    "SELECT ",
                    crate::taken_down!("p"),
                    " FROM persons p WHERE p.id = $1"
                ))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                if taken_down {
                    return Ok(Written::TakenDown);
                }
            }
            // Made public now: the languages its municipalities require first.
            if after.is_public && !before.as_ref().is_some_and(|b| b.is_public) {
                let gate = publication_gate(
                    &mut *tx,
                    actor,
                    Kind::Person,
                    id,
                    &after.slug,
                    &after,
                    publication,
                );
                if let Err(missing) = gate.await? {
                    return Ok(Written::WaitsForTranslations(missing));
                }
            }
            tx.commit().await?;
            Ok(Written::Saved(after.slug))
        })
    }

    /// The person's writes and reads, on a connection inside the caller's transaction.
    pub trait PersonStore {
        /// The person as the edit form shows it and the audit log records it.
        fn person_record(
            &mut self,
            id: i64,
        ) -> impl std::future::Future<Output = Result<Option<PersonRecord>, sqlx::Error>> + Send;

        /// A new person's own columns; `None`: the slug is taken.
        fn insert_person(
            &mut self,
            slug: &Slug,
            person: &PersonInput,
        ) -> impl std::future::Future<Output = Result<Option<i64>, sqlx::Error>> + Send;

        /// Person `id`'s own columns, as the form has them.
        fn update_person(
            &mut self,
            id: i64,
            person: &PersonInput,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;

        /// Replaces the person's aliases and rights with the form's.
        fn replace_names_and_rights(
            &mut self,
            id: i64,
            person: &PersonInput,
        ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    }

    #[derive(sqlx::FromRow)]
    struct PersonRow {
        slug: String,
        full_name: String,
        country_code: Option<String>,
        summary: Option<String>,
        is_public: bool,
        country_internal: bool,
        summary_internal: bool,
        original_language: String,
        has_portrait: bool,
    }

    crate::impl_for_connections! {
        impl PersonStore {
            async fn person_record(&mut self, id: i64) -> Result<Option<PersonRecord>, sqlx::Error> {
                let row: Option<PersonRow> = sqlx::query_as(
                    "SELECT slug, full_name, country_code, summary, is_public, country_internal, summary_internal,
                            original_language,
                            EXISTS (SELECT 1 FROM portraits WHERE person_id = persons.id) AS has_portrait
                       FROM persons WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *self)
                .await?;
                let Some(PersonRow {
                    slug, full_name, country_code: country, summary: summary_html, is_public,
                    country_internal, summary_internal, original_language, has_portrait,
                }) = row else {
                    return Ok(None);
                };
                let aliases: Vec<String> =
                    sqlx::query_scalar("SELECT alias FROM person_aliases WHERE person_id = $1 ORDER BY alias")
                        .bind(id)
                        .fetch_all(&mut *self)
                        .await?;
                let rights: Vec<String> = sqlx::query_scalar(
                    "SELECT c.slug FROM person_rights r JOIN rights_categories c ON c.id = r.rights_category_id
                      WHERE r.person_id = $1 ORDER BY c.position",
                )
                .bind(id)
                .fetch_all(&mut *self)
                .await?;
                let translations = self
                    .translations_of(Kind::Person, Some(id))
                    .await?
                    .into_iter()
                    .map(|(_, t)| t)
                    .collect();
                Ok(Some(PersonRecord {
                    slug,
                    full_name,
                    aliases,
                    country,
                    summary_html,
                    rights,
                    is_public,
                    country_internal,
                    summary_internal,
                    has_portrait,
                    original_language: crate::records::translations::stored_language(&original_language)?,
                    translations,
                }))
            }

            async fn insert_person(&mut self, slug: &Slug, person: &PersonInput) -> Result<Option<i64>, sqlx::Error> {
                sqlx::query_scalar(
                    "INSERT INTO persons (slug, full_name, country_code, summary, is_public, original_language,
                                          country_internal, summary_internal)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (slug) DO NOTHING RETURNING id",
                )
                .bind(slug.as_str())
                .bind(person.full_name.as_str())
                .bind(person.country.as_ref().map(CountryCode::as_str))
                .bind(person.texts.original("summary"))
                .bind(person.is_public)
                .bind(person.texts.original_language.code())
                .bind(person.country_internal)
                .bind(person.summary_internal)
                .fetch_optional(&mut *self)
                .await
            }

            async fn update_person(&mut self, id: i64, person: &PersonInput) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "UPDATE persons SET full_name = $2, country_code = $3, summary = $4, is_public = $5,
                            original_language = $6, country_internal = $7, summary_internal = $8
                      WHERE id = $1",
                )
                .bind(id)
                .bind(person.full_name.as_str())
                .bind(person.country.as_ref().map(CountryCode::as_str))
                .bind(person.texts.original("summary"))
                .bind(person.is_public)
                .bind(person.texts.original_language.code())
                .bind(person.country_internal)
                .bind(person.summary_internal)
                .execute(&mut *self)
                .await
                .map(|_| ())
            }

            async fn replace_names_and_rights(&mut self, id: i64, person: &PersonInput) -> Result<(), sqlx::Error> {
                sqlx::query("DELETE FROM person_aliases WHERE person_id = $1")
                    .bind(id)
                    .execute(&mut *self)
                    .await?;
                for alias in &person.aliases {
                    sqlx::query("INSERT INTO person_aliases (person_id, alias) VALUES ($1, $2)")
                        .bind(id)
                        .bind(alias.as_str())
                        .execute(&mut *self)
                        .await?;
                }
                sqlx::query("DELETE FROM person_rights WHERE person_id = $1")
                    .bind(id)
                    .execute(&mut *self)
                    .await?;
                for right in &person.rights {
                    sqlx::query(
                        "INSERT INTO person_rights (person_id, rights_category_id)
                         SELECT $1, id FROM rights_categories WHERE slug = $2",
                    )
                    .bind(id)
                    .bind(right.slug())
                    .execute(&mut *self)
                    .await?;
                }
                Ok(())
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn form() -> PersonForm {
            PersonForm {
                lang: "en".into(),
                full_name: "Narges Example".into(),
                aliases: "N. Example\n\nN. Example\nNarges Ex.".into(),
                country: "IR".into(),
                original_language: "en".into(),
                summary_en: "<p onclick=\"x()\">Defender</p>".into(),
                rights: vec!["gender-equality".into(), "gender-equality".into()],
                is_public: "on".into(),
                adopted_on: "2026-11".into(),
                decision_reference: "CC 2026/123".into(),
                ..PersonForm::default()
            }
        }

        #[test]
        fn slugs_are_made_from_names() {
            assert_eq!(slug_from_name("Loujain al-Hathloul"), "loujain-al-hathloul");
            assert_eq!(
                slug_from_name("Dorgelesse N'guessan"),
                "dorgelesse-n-guessan"
            );
            assert_eq!(slug_from_name("  Hamid  Babaeï "), "hamid-babaei");
        }

        #[test]
        fn a_new_person_is_parsed_with_slug_and_adoption() {
            let mut problems = Problems::default();
            let (person, new) = parse_person_form(&mut problems, &form(), true).unwrap();
            assert!(problems.is_empty());
            assert_eq!(
                person.aliases.len(),
                2,
                "blank and repeated aliases dropped"
            );
            assert_eq!(person.rights, [RightsCategory::GenderEquality]);
            assert_eq!(person.texts.original("summary"), Some("<p>Defender</p>"));
            let new = new.unwrap();
            assert_eq!(new.slug.as_str(), "narges-example");
            assert_eq!(new.adoption.adopted_on.to_string(), "2026-11");
        }

        #[test]
        fn every_problem_of_the_person_form_is_noted() {
            let bad = PersonForm {
                full_name: " ".into(),
                country: "Iran".into(),
                rights: vec!["freedom".into()],
                slug: "Not A Slug".into(),
                adopted_on: "5 December".into(),
                ..form()
            };
            let mut problems = Problems::default();
            assert!(parse_person_form(&mut problems, &bad, true).is_none());
            let fields: Vec<&str> = problems.0.keys().map(String::as_str).collect();
            assert_eq!(
                fields,
                ["adopted_on", "country", "full_name", "rights", "slug"]
            );
            let mut edit = Problems::default();
            assert!(
                parse_person_form(
                    &mut edit,
                    &PersonForm {
                        adopted_on: String::new(),
                        ..form()
                    },
                    false
                )
                .is_some(),
                "an edit needs no adoption"
            );
        }
    }
}
