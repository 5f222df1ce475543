//! Council members adopt cases for their municipality: a person (name,
//! aliases, country, summary, rights), the adoption (decision date and
//! reference), and the support actions run for them. A council member edits a
//! person only when their own municipality has adopted them, and only ever
//! their own municipality's adoption: the municipality comes from the
//! session, never from the form. Every change is audited in its transaction.
use super::staff::{FormFlash, StaffUser};
use super::{AdoptionView, RightsCategoryInfo};
use crate::domain::{CountryCode, PartialDate, Status};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Rich text from staff is capped well above any real summary or appeal.
pub const MAX_RICH_TEXT_CHARS: usize = 20_000;
/// A name and its other spellings, for matching feed entries.
pub const MAX_ALIASES: usize = 20;

pub const PERSON_FORM: &str = "person";
pub const ADOPTION_FORM: &str = "adoption";
pub const ACTION_FORM: &str = "support-action";

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
    pub summary: String,
    pub rights: Vec<String>,
    pub is_public: String,
    pub adopted_on: String,
    pub decision_reference: String,
    pub note: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdoptionForm {
    pub lang: String,
    pub person: String,
    pub adopted_on: String,
    pub decision_reference: String,
    pub note: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SupportActionForm {
    pub lang: String,
    pub person: String,
    /// The slug of the action being edited; empty for a new one.
    pub action: String,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub addressee: String,
    pub goal: String,
    pub opens_on: String,
    pub closes_on: String,
}

/// A person as staff see it, drafts included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPersonRow {
    pub slug: String,
    pub full_name: String,
    pub is_public: bool,
    pub current_status: Option<Status>,
    pub municipalities: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonsWorkspace {
    pub user: StaffUser,
    pub persons: Vec<StaffPersonRow>,
    pub countries: Vec<(CountryCode, String)>,
    pub rights: Vec<RightsCategoryInfo>,
    pub flash: Option<FormFlash>,
}

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
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffActionRow {
    pub slug: String,
    pub title: String,
    pub is_open: bool,
    pub confirmed: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUpdateRow {
    pub id: i64,
    pub title: String,
    pub occurred_on: PartialDate,
    pub status: Option<Status>,
    pub is_published: bool,
    pub from_feed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonWorkspace {
    pub user: StaffUser,
    pub person: PersonRecord,
    pub adoptions: Vec<AdoptionView>,
    /// This council member's municipality's adoption, if any.
    pub own_adoption: Option<AdoptionView>,
    /// Whether this user may edit the person and run actions for them.
    pub can_edit: bool,
    pub actions: Vec<StaffActionRow>,
    pub updates: Vec<StaffUpdateRow>,
    pub countries: Vec<(CountryCode, String)>,
    pub rights: Vec<RightsCategoryInfo>,
    pub flash: Option<FormFlash>,
}

/// A support action as its edit form shows it and the audit log records it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportActionRecord {
    pub slug: String,
    pub person: String,
    pub title: String,
    pub body_html: String,
    pub addressee: String,
    pub goal: i64,
    pub opens_on: String,
    pub closes_on: Option<String>,
    pub is_open: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportActionWorkspace {
    pub user: StaffUser,
    pub action: SupportActionRecord,
    pub person_name: String,
    pub confirmed: i64,
    pub can_edit: bool,
    pub flash: Option<FormFlash>,
}

/// Staff roles that read cases (to adopt them, or to write updates about them).
#[cfg(feature = "ssr")]
const CASE_READERS: &[crate::domain::Role] =
    &[crate::domain::Role::Council, crate::domain::Role::Comms];
#[cfg(feature = "ssr")]
const COUNCIL: &[crate::domain::Role] = &[crate::domain::Role::Council];

#[server(prefix = "/api/staff", endpoint = "persons")]
pub async fn staff_persons(lang: String) -> Result<PersonsWorkspace, ServerFnError> {
    use super::staff::on_server::{require, take_form_flash};
    let user = require(CASE_READERS).await?;
    let db = super::db()?;
    let locale = crate::i18n::Locale::from_code(&lang).unwrap_or_default();
    Ok(PersonsWorkspace {
        user,
        persons: on_server::list(&db).await.map_err(super::internal)?,
        countries: super::signature_form::country_choices(locale).await?,
        rights: super::places::queries::categories(&db).await?,
        flash: take_form_flash().await,
    })
}

#[server(prefix = "/api/staff", endpoint = "person")]
pub async fn staff_person(
    lang: String,
    slug: String,
) -> Result<Option<PersonWorkspace>, ServerFnError> {
    use super::staff::on_server::{require, take_form_flash};
    let user = require(CASE_READERS).await?;
    let db = super::db()?;
    let locale = crate::i18n::Locale::from_code(&lang).unwrap_or_default();
    let Some(mut detail) = on_server::detail(&db, &user, &slug).await? else {
        return Ok(None);
    };
    detail.countries = super::signature_form::country_choices(locale).await?;
    detail.rights = super::places::queries::categories(&db).await?;
    detail.flash = take_form_flash().await;
    Ok(Some(detail))
}

#[server(prefix = "/api/staff", endpoint = "adopt-person")]
pub async fn adopt_person(#[server(flatten)] form: PersonForm) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COUNCIL).await?;
    on_server::save_person(&user, form, true).await
}

#[server(prefix = "/api/staff", endpoint = "update-person")]
pub async fn update_person(#[server(flatten)] form: PersonForm) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COUNCIL).await?;
    on_server::save_person(&user, form, false).await
}

#[server(prefix = "/api/staff", endpoint = "save-adoption")]
pub async fn save_adoption(#[server(flatten)] form: AdoptionForm) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COUNCIL).await?;
    on_server::save_adoption(&user, form).await
}

#[server(prefix = "/api/staff", endpoint = "save-support-action")]
pub async fn save_support_action(
    #[server(flatten)] form: SupportActionForm,
) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COUNCIL).await?;
    on_server::save_support_action(&user, form).await
}

#[server(prefix = "/api/staff", endpoint = "support-action")]
pub async fn staff_support_action(
    slug: String,
) -> Result<Option<SupportActionWorkspace>, ServerFnError> {
    use super::staff::on_server::{require, take_form_flash};
    let user = require(COUNCIL).await?;
    let db = super::db()?;
    let Some(mut detail) = on_server::action_detail(&db, &user, &slug).await? else {
        return Ok(None);
    };
    detail.flash = take_form_flash().await;
    Ok(Some(detail))
}

/// Closes (`open` empty) or reopens (`open` = "true") a support action by hand.
#[server(prefix = "/api/staff", endpoint = "set-support-action-open")]
pub async fn set_support_action_open(
    lang: String,
    action: String,
    #[server(default)] open: String,
) -> Result<(), ServerFnError> {
    let user = super::staff::on_server::require(COUNCIL).await?;
    on_server::set_open(&user, &lang, &action, open == "true").await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::api::staff::on_server::{done, refuse};
    use crate::api::staff::Problems;
    use crate::api::{date_from_columns, internal, MunicipalityRef};
    use crate::domain::{Line, PersonName, RightsCategory, Slug};
    use crate::i18n::Locale;
    use crate::on_pool;
    use crate::ssr::audit::{AuditEntry, RecordAudit};
    use crate::ssr::db::{BeginWrite, Db};
    use crate::ssr::sanitize::rich_text;
    use chrono::NaiveDate;

    /// 403 with a reason, for a change this council member may not make.
    pub fn forbidden(reason: &str) -> ServerFnError {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::FORBIDDEN);
        }
        ServerFnError::new(reason.to_owned())
    }

    /// 404 for a record that does not exist.
    pub fn not_found(what: &str) -> ServerFnError {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
        ServerFnError::new(format!("no such {what}"))
    }

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

    fn optional_line(problems: &mut Problems, field: &str, input: &str) -> Option<Option<Line>> {
        if input.trim().is_empty() {
            return Some(None);
        }
        problems
            .check(field, Line::parse(input), "form.invalid_line")
            .map(Some)
    }

    fn rich(problems: &mut Problems, field: &str, input: &str) -> Option<String> {
        if input.chars().count() > MAX_RICH_TEXT_CHARS {
            problems.add(field, "form.too_long");
            return None;
        }
        Some(rich_text(input.trim()))
    }

    fn date(problems: &mut Problems, field: &str, input: &str) -> Option<PartialDate> {
        if input.trim().is_empty() {
            problems.add(field, "form.required");
            return None;
        }
        problems.check(field, PartialDate::parse(input.trim()), "form.invalid_date")
    }

    fn full_date(problems: &mut Problems, field: &str, input: &str) -> Option<NaiveDate> {
        problems.check(
            field,
            NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d"),
            "form.invalid_full_date",
        )
    }

    /// The user's municipality id; council members always have one.
    async fn municipality_id(db: &Db, user: &StaffUser) -> Result<i64, ServerFnError> {
        let slug = user
            .municipality
            .as_ref()
            .ok_or_else(|| forbidden("only council members adopt cases"))?;
        let id: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT id FROM municipalities WHERE slug = $1"
        )
        .bind(slug.slug.as_str())
        .fetch_optional(pool)
        .await)
        .map_err(internal)?;
        id.ok_or_else(|| internal("a council member's municipality is gone"))
    }

    /// The person's id, and whether `municipality_id` has adopted them.
    async fn person_and_adoption(
        db: &Db,
        slug: &str,
        municipality_id: i64,
    ) -> Result<Option<(i64, bool)>, ServerFnError> {
        let row: Option<(i64, i64)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT p.id, (SELECT COUNT(*) FROM adoptions a WHERE a.person_id = p.id AND a.municipality_id = $2)
               FROM persons p WHERE p.slug = $1"
        )
        .bind(slug)
        .bind(municipality_id)
        .fetch_optional(pool)
        .await)
        .map_err(internal)?;
        Ok(row.map(|(id, adopted)| (id, adopted > 0)))
    }

    async fn country_exists(db: &Db, code: &CountryCode) -> Result<bool, ServerFnError> {
        let n: i64 = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM countries WHERE code = $1"
        )
        .bind(code.as_str())
        .fetch_one(pool)
        .await)
        .map_err(internal)?;
        Ok(n > 0)
    }

    /// Reads the person as the audit log records it, on the transaction's connection.
    macro_rules! person_record {
        ($conn:expr, $id:expr) => {
            async {
                let row: Option<(String, String, Option<String>, Option<String>, bool)> =
                    sqlx::query_as(
                        "SELECT slug, full_name, country_code, summary, is_public FROM persons WHERE id = $1",
                    )
                    .bind($id)
                    .fetch_optional(&mut *$conn)
                    .await?;
                let Some((slug, full_name, country, summary_html, is_public)) = row else {
                    return Ok::<_, sqlx::Error>(None);
                };
                let aliases: Vec<String> = sqlx::query_scalar(
                    "SELECT alias FROM person_aliases WHERE person_id = $1 ORDER BY alias",
                )
                .bind($id)
                .fetch_all(&mut *$conn)
                .await?;
                let rights: Vec<String> = sqlx::query_scalar(
                    "SELECT c.slug FROM person_rights r JOIN rights_categories c ON c.id = r.rights_category_id
                      WHERE r.person_id = $1 ORDER BY c.position",
                )
                .bind($id)
                .fetch_all(&mut *$conn)
                .await?;
                Ok(Some(PersonRecord { slug, full_name, aliases, country, summary_html, rights, is_public }))
            }
        };
    }

    macro_rules! adoption_record {
        ($conn:expr, $person_id:expr, $municipality_id:expr) => {
            sqlx::query_as::<_, AdoptionRecord>(
                "SELECT p.slug AS person, m.slug AS municipality, a.adopted_year, a.adopted_month,
                        a.adopted_day, a.decision_reference, a.note
                   FROM adoptions a JOIN persons p ON p.id = a.person_id
                   JOIN municipalities m ON m.id = a.municipality_id
                  WHERE a.person_id = $1 AND a.municipality_id = $2",
            )
            .bind($person_id)
            .bind($municipality_id)
            .fetch_optional(&mut *$conn)
            .await
        };
    }

    #[derive(Debug, Serialize, sqlx::FromRow)]
    pub struct AdoptionRecord {
        person: String,
        municipality: String,
        adopted_year: i32,
        adopted_month: Option<i32>,
        adopted_day: Option<i32>,
        decision_reference: Option<String>,
        note: Option<String>,
    }

    /// Writes an adoption (new, or this municipality's, edited) on the connection.
    macro_rules! upsert_adoption {
        ($conn:expr, $person_id:expr, $municipality_id:expr, $adoption:expr) => {
            sqlx::query(
                "INSERT INTO adoptions (person_id, municipality_id, adopted_year, adopted_month, adopted_day,
                                        decision_reference, note)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (person_id, municipality_id) DO UPDATE SET
                     adopted_year = excluded.adopted_year, adopted_month = excluded.adopted_month,
                     adopted_day = excluded.adopted_day, decision_reference = excluded.decision_reference,
                     note = excluded.note",
            )
            .bind($person_id)
            .bind($municipality_id)
            .bind($adoption.adopted_on.year_part())
            .bind($adoption.adopted_on.month_part().map(i32::from))
            .bind($adoption.adopted_on.day_part().map(i32::from))
            .bind($adoption.decision_reference.as_ref().map(Line::as_str))
            .bind($adoption.note.as_deref())
            .execute(&mut *$conn)
            .await
        };
    }

    /// A parsed adoption.
    pub struct Adoption {
        pub adopted_on: PartialDate,
        pub decision_reference: Option<Line>,
        /// Plain text, up to 2,000 characters.
        pub note: Option<String>,
    }

    fn parse_adoption(
        problems: &mut Problems,
        adopted_on: &str,
        reference: &str,
        note: &str,
    ) -> Option<Adoption> {
        let adopted_on = date(problems, "adopted_on", adopted_on);
        let decision_reference = optional_line(problems, "decision_reference", reference);
        let note = note.trim();
        if note.chars().count() > 2_000 {
            problems.add("note", "form.too_long");
        }
        Some(Adoption {
            adopted_on: adopted_on?,
            decision_reference: decision_reference?,
            note: (!note.is_empty()).then(|| note.to_owned()),
        })
    }

    /// The person part of the form, parsed.
    struct PersonInput {
        full_name: PersonName,
        aliases: Vec<PersonName>,
        country: Option<CountryCode>,
        summary: Option<String>,
        rights: Vec<RightsCategory>,
        is_public: bool,
    }

    async fn parse_person(
        db: &Db,
        problems: &mut Problems,
        form: &PersonForm,
    ) -> Result<Option<PersonInput>, ServerFnError> {
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
            code => match CountryCode::parse(code) {
                Ok(code) if country_exists(db, &code).await? => Some(Some(code)),
                _ => {
                    problems.add("country", "form.invalid_choice");
                    None
                }
            },
        };
        let summary = rich(problems, "summary", &form.summary);
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
        let (Some(full_name), Some(country), Some(summary)) = (full_name, country, summary) else {
            return Ok(None);
        };
        Ok(problems.is_empty().then(|| PersonInput {
            full_name,
            aliases,
            country,
            summary: (!summary.is_empty()).then_some(summary),
            rights,
            is_public: !form.is_public.is_empty(),
        }))
    }

    enum Saved {
        Done(String),
        SlugTaken,
    }

    /// Adopts a new person (`new`), or edits one this municipality has adopted.
    pub async fn save_person(
        user: &StaffUser,
        form: PersonForm,
        new: bool,
    ) -> Result<(), ServerFnError> {
        let db = crate::api::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let municipality_id = municipality_id(&db, user).await?;
        let existing = if new {
            None
        } else {
            match person_and_adoption(&db, &form.person, municipality_id).await? {
                None => return Err(not_found("person")),
                Some((_, false)) => {
                    return Err(forbidden("your municipality has not adopted this person"))
                }
                Some((id, true)) => Some(id),
            }
        };
        let mut problems = Problems::default();
        let person = parse_person(&db, &mut problems, &form).await?;
        let slug = if new {
            let wanted = if form.slug.trim().is_empty() {
                slug_from_name(&form.full_name)
            } else {
                form.slug.trim().to_owned()
            };
            problems.check("slug", Slug::parse(&wanted), "form.invalid_slug")
        } else {
            None
        };
        let adoption = if new {
            parse_adoption(
                &mut problems,
                &form.adopted_on,
                &form.decision_reference,
                &form.note,
            )
        } else {
            None
        };
        let Some(person) = person.filter(|_| problems.is_empty()) else {
            return refuse(PERSON_FORM, &form, problems).await;
        };
        let user_id = user.id;
        let saved = on_pool!(&db, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                let (id, before) = match existing {
                    Some(id) => {
                        let before = person_record!(tx, id).await?;
                        sqlx::query(
                            "UPDATE persons SET full_name = $2, country_code = $3, summary = $4, is_public = $5 WHERE id = $1",
                        )
                        .bind(id)
                        .bind(person.full_name.as_str())
                        .bind(person.country.as_ref().map(CountryCode::as_str))
                        .bind(person.summary.as_deref())
                        .bind(person.is_public)
                        .execute(&mut *tx)
                        .await?;
                        (id, before)
                    }
                    None => {
                        let slug = slug.as_ref().expect("a new person has a parsed slug");
                        let id: Option<i64> = sqlx::query_scalar(
                            "INSERT INTO persons (slug, full_name, country_code, summary, is_public)
                             VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT (slug) DO NOTHING RETURNING id",
                        )
                        .bind(slug.as_str())
                        .bind(person.full_name.as_str())
                        .bind(person.country.as_ref().map(CountryCode::as_str))
                        .bind(person.summary.as_deref())
                        .bind(person.is_public)
                        .fetch_optional(&mut *tx)
                        .await?;
                        match id {
                            Some(id) => (id, None),
                            None => return Ok::<_, sqlx::Error>(Saved::SlugTaken),
                        }
                    }
                };
                sqlx::query("DELETE FROM person_aliases WHERE person_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for alias in &person.aliases {
                    sqlx::query("INSERT INTO person_aliases (person_id, alias) VALUES ($1, $2)")
                        .bind(id)
                        .bind(alias.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("DELETE FROM person_rights WHERE person_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for right in &person.rights {
                    sqlx::query(
                        "INSERT INTO person_rights (person_id, rights_category_id)
                         SELECT $1, id FROM rights_categories WHERE slug = $2",
                    )
                    .bind(id)
                    .bind(right.slug())
                    .execute(&mut *tx)
                    .await?;
                }
                let after = person_record!(tx, id).await?;
                let action = if before.is_some() { "person.update" } else { "person.create" };
                let mut entry = AuditEntry::new(Some(user_id), action, "person", id).after(&after);
                if let Some(before) = &before {
                    entry = entry.before(before);
                }
                tx.record_audit(&entry).await?;
                if let Some(adoption) = &adoption {
                    upsert_adoption!(tx, id, municipality_id, adoption)?;
                    let record = adoption_record!(tx, id, municipality_id)?;
                    let entry = AuditEntry::new(Some(user_id), "adoption.create", "adoption", format!("{id}:{municipality_id}"))
                        .after(&record);
                    tx.record_audit(&entry).await?;
                }
                tx.commit().await?;
                Ok(Saved::Done(after.map(|p| p.slug).unwrap_or_default()))
            }
            .await
        })
        .map_err(internal)?;
        match saved {
            Saved::Done(slug) => {
                let notice = if new { "staff.adopted" } else { "staff.saved" };
                done(
                    PERSON_FORM,
                    notice,
                    &locale.path(&format!("/staff/persons/{slug}"), false),
                )
                .await
            }
            Saved::SlugTaken => {
                let mut problems = Problems::default();
                problems.add("slug", "form.slug_taken");
                refuse(PERSON_FORM, &form, problems).await
            }
        }
    }

    /// Records or edits this council member's municipality's adoption of a person.
    pub async fn save_adoption(user: &StaffUser, form: AdoptionForm) -> Result<(), ServerFnError> {
        let db = crate::api::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let municipality_id = municipality_id(&db, user).await?;
        let Some((person_id, _)) = person_and_adoption(&db, &form.person, municipality_id).await?
        else {
            return Err(not_found("person"));
        };
        let mut problems = Problems::default();
        let adoption = parse_adoption(
            &mut problems,
            &form.adopted_on,
            &form.decision_reference,
            &form.note,
        );
        let Some(adoption) = adoption.filter(|_| problems.is_empty()) else {
            return refuse(ADOPTION_FORM, &form, problems).await;
        };
        let user_id = user.id;
        on_pool!(&db, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                let before = adoption_record!(tx, person_id, municipality_id)?;
                upsert_adoption!(tx, person_id, municipality_id, adoption)?;
                let after = adoption_record!(tx, person_id, municipality_id)?;
                let action = if before.is_some() {
                    "adoption.update"
                } else {
                    "adoption.create"
                };
                let mut entry = AuditEntry::new(
                    Some(user_id),
                    action,
                    "adoption",
                    format!("{person_id}:{municipality_id}"),
                )
                .after(&after);
                if let Some(before) = &before {
                    entry = entry.before(before);
                }
                tx.record_audit(&entry).await?;
                tx.commit().await
            }
            .await
        })
        .map_err(internal)?;
        done(
            ADOPTION_FORM,
            "staff.saved",
            &locale.path(&format!("/staff/persons/{}", form.person), false),
        )
        .await
    }

    macro_rules! action_record {
        ($conn:expr, $id:expr) => {
            sqlx::query_as::<_, ActionRow>(
                "SELECT a.slug, p.slug AS person, a.title, a.body_html, a.addressee, CAST(a.goal AS BIGINT) AS goal,
                        a.opens_on, a.closes_on, a.is_open
                   FROM support_actions a JOIN persons p ON p.id = a.person_id WHERE a.id = $1",
            )
            .bind($id)
            .fetch_optional(&mut *$conn)
            .await
            .map(|row| row.map(ActionRow::into_record))
        };
    }

    #[derive(sqlx::FromRow)]
    pub struct ActionRow {
        slug: String,
        person: String,
        title: String,
        body_html: String,
        addressee: String,
        goal: i64,
        opens_on: NaiveDate,
        closes_on: Option<NaiveDate>,
        is_open: bool,
    }

    impl ActionRow {
        fn into_record(self) -> SupportActionRecord {
            SupportActionRecord {
                slug: self.slug,
                person: self.person,
                title: self.title,
                body_html: self.body_html,
                addressee: self.addressee,
                goal: self.goal,
                opens_on: self.opens_on.to_string(),
                closes_on: self.closes_on.map(|d| d.to_string()),
                is_open: self.is_open,
            }
        }
    }

    /// An action's id, its person's id, and whether this municipality adopted that person.
    async fn action_and_adoption(
        db: &Db,
        slug: &str,
        municipality_id: i64,
    ) -> Result<Option<(i64, String, bool)>, ServerFnError> {
        let row: Option<(i64, String, i64)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT a.id, p.slug,
                    (SELECT COUNT(*) FROM adoptions d WHERE d.person_id = a.person_id AND d.municipality_id = $2)
               FROM support_actions a JOIN persons p ON p.id = a.person_id WHERE a.slug = $1"
        )
        .bind(slug)
        .bind(municipality_id)
        .fetch_optional(pool)
        .await)
        .map_err(internal)?;
        Ok(row.map(|(id, person, adopted)| (id, person, adopted > 0)))
    }

    /// Opens a new support action for a person this municipality adopted, or edits one.
    pub async fn save_support_action(
        user: &StaffUser,
        form: SupportActionForm,
    ) -> Result<(), ServerFnError> {
        let db = crate::api::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let municipality_id = municipality_id(&db, user).await?;
        let new = form.action.trim().is_empty();
        let (existing, person_id) = if new {
            match person_and_adoption(&db, &form.person, municipality_id).await? {
                None => return Err(not_found("person")),
                Some((_, false)) => {
                    return Err(forbidden("your municipality has not adopted this person"))
                }
                Some((person_id, true)) => (None, person_id),
            }
        } else {
            match action_and_adoption(&db, &form.action, municipality_id).await? {
                None => return Err(not_found("support action")),
                Some((_, _, false)) => {
                    return Err(forbidden("your municipality has not adopted this person"))
                }
                Some((id, _, true)) => (Some(id), 0),
            }
        };
        let mut problems = Problems::default();
        let slug = if new {
            problems.check("slug", Slug::parse(form.slug.trim()), "form.invalid_slug")
        } else {
            None
        };
        let title = problems.check("title", Line::parse(&form.title), "form.invalid_line");
        let addressee = problems.check(
            "addressee",
            Line::parse(&form.addressee),
            "form.invalid_line",
        );
        let body = rich(&mut problems, "body", &form.body);
        if body.as_deref().is_some_and(str::is_empty) {
            problems.add("body", "form.required");
        }
        let goal = problems.check(
            "goal",
            form.goal
                .trim()
                .parse::<u32>()
                .map_err(|_| ())
                .and_then(|g| if g > 0 { Ok(g) } else { Err(()) }),
            "form.invalid_goal",
        );
        let opens_on = full_date(&mut problems, "opens_on", &form.opens_on);
        let closes_on = if form.closes_on.trim().is_empty() {
            Some(None)
        } else {
            full_date(&mut problems, "closes_on", &form.closes_on).map(Some)
        };
        if let (Some(opens), Some(Some(closes))) = (opens_on, closes_on) {
            if closes < opens {
                problems.add("closes_on", "form.closes_before_opens");
            }
        }
        let (Some(title), Some(addressee), Some(body), Some(goal), Some(opens_on), Some(closes_on)) =
            (title, addressee, body, goal, opens_on, closes_on)
        else {
            return refuse(ACTION_FORM, &form, problems).await;
        };
        if !problems.is_empty() {
            return refuse(ACTION_FORM, &form, problems).await;
        }
        let user_id = user.id;
        let saved: Option<String> = on_pool!(&db, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                let (id, before) = match existing {
                    Some(id) => {
                        let before = action_record!(tx, id)?;
                        sqlx::query(
                            "UPDATE support_actions SET title = $2, body_html = $3, addressee = $4, goal = $5,
                                    opens_on = $6, closes_on = $7 WHERE id = $1",
                        )
                        .bind(id)
                        .bind(title.as_str())
                        .bind(&body)
                        .bind(addressee.as_str())
                        .bind(i64::from(goal))
                        .bind(opens_on)
                        .bind(closes_on)
                        .execute(&mut *tx)
                        .await?;
                        (id, before)
                    }
                    None => {
                        let id: Option<i64> = sqlx::query_scalar(
                            "INSERT INTO support_actions (person_id, slug, title, body_html, addressee, goal, opens_on, closes_on, is_open)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE)
                             ON CONFLICT (slug) DO NOTHING RETURNING id",
                        )
                        .bind(person_id)
                        .bind(slug.as_ref().map(Slug::as_str))
                        .bind(title.as_str())
                        .bind(&body)
                        .bind(addressee.as_str())
                        .bind(i64::from(goal))
                        .bind(opens_on)
                        .bind(closes_on)
                        .fetch_optional(&mut *tx)
                        .await?;
                        match id {
                            Some(id) => (id, None),
                            None => return Ok::<_, sqlx::Error>(None),
                        }
                    }
                };
                let after = action_record!(tx, id)?;
                let action = if before.is_some() { "support_action.update" } else { "support_action.create" };
                let mut entry = AuditEntry::new(Some(user_id), action, "support_action", id).after(&after);
                if let Some(before) = &before {
                    entry = entry.before(before);
                }
                tx.record_audit(&entry).await?;
                tx.commit().await?;
                Ok(after.map(|a| a.slug))
            }
            .await
        })
        .map_err(internal)?;
        match saved {
            Some(slug) => {
                let notice = if new {
                    "staff.action_opened"
                } else {
                    "staff.saved"
                };
                done(
                    ACTION_FORM,
                    notice,
                    &locale.path(&format!("/staff/actions/{slug}"), false),
                )
                .await
            }
            None => {
                let mut problems = Problems::default();
                problems.add("slug", "form.slug_taken");
                refuse(ACTION_FORM, &form, problems).await
            }
        }
    }

    pub async fn set_open(
        user: &StaffUser,
        lang: &str,
        action: &str,
        open: bool,
    ) -> Result<(), ServerFnError> {
        let db = crate::api::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let municipality_id = municipality_id(&db, user).await?;
        let id = match action_and_adoption(&db, action, municipality_id).await? {
            None => return Err(not_found("support action")),
            Some((_, _, false)) => {
                return Err(forbidden("your municipality has not adopted this person"))
            }
            Some((id, _, true)) => id,
        };
        let user_id = user.id;
        on_pool!(&db, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                let before = action_record!(tx, id)?;
                // Reopening clears the closing time that starts the retention clock.
                sqlx::query(
                    "UPDATE support_actions SET is_open = $2,
                            closed_at = CASE WHEN $2 THEN NULL ELSE COALESCE(closed_at, $3) END
                      WHERE id = $1",
                )
                .bind(id)
                .bind(open)
                .bind(crate::ssr::outbox::unix_now())
                .execute(&mut *tx)
                .await?;
                let after = action_record!(tx, id)?;
                let name = if open {
                    "support_action.reopen"
                } else {
                    "support_action.close"
                };
                let entry = AuditEntry::new(Some(user_id), name, "support_action", id)
                    .before(&before)
                    .after(&after);
                tx.record_audit(&entry).await?;
                tx.commit().await
            }
            .await
        })
        .map_err(internal)?;
        let notice = if open {
            "staff.action_reopened"
        } else {
            "staff.action_closed"
        };
        done(
            ACTION_FORM,
            notice,
            &locale.path(&format!("/staff/actions/{action}"), false),
        )
        .await
    }

    #[derive(sqlx::FromRow)]
    struct ListRow {
        slug: String,
        full_name: String,
        is_public: bool,
        current_status: Option<String>,
    }

    /// Every person, drafts too, by name.
    pub async fn list(db: &Db) -> Result<Vec<StaffPersonRow>, sqlx::Error> {
        let rows: Vec<ListRow> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT p.slug, p.full_name, p.is_public,
                    (SELECT e.status FROM status_events e
                      WHERE e.person_id = p.id AND e.is_published AND e.status IS NOT NULL
                      ORDER BY e.occurred_year DESC, e.occurred_month DESC, e.occurred_day DESC, e.id DESC
                      LIMIT 1) AS current_status
               FROM persons p"
        )
        .fetch_all(pool)
        .await
        })?;
        let names: Vec<(String, String)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT p.slug, m.name FROM adoptions a JOIN persons p ON p.id = a.person_id
               JOIN municipalities m ON m.id = a.municipality_id ORDER BY m.name"
        )
        .fetch_all(pool)
        .await)?;
        let mut persons: Vec<StaffPersonRow> = rows
            .into_iter()
            .map(|row| StaffPersonRow {
                municipalities: names
                    .iter()
                    .filter(|(slug, _)| *slug == row.slug)
                    .map(|(_, name)| name.clone())
                    .collect(),
                current_status: row
                    .current_status
                    .as_deref()
                    .and_then(|s| Status::parse(s).ok()),
                slug: row.slug,
                full_name: row.full_name,
                is_public: row.is_public,
            })
            .collect();
        persons.sort_by_cached_key(|p| crate::api::persons::queries::name_key(&p.full_name));
        Ok(persons)
    }

    #[derive(sqlx::FromRow)]
    struct AdoptionListRow {
        municipality_slug: String,
        municipality_name: String,
        adopted_year: i32,
        adopted_month: Option<i32>,
        adopted_day: Option<i32>,
        decision_reference: Option<String>,
        note: Option<String>,
    }

    #[derive(sqlx::FromRow)]
    struct UpdateListRow {
        id: i64,
        title: String,
        occurred_year: i32,
        occurred_month: Option<i32>,
        occurred_day: Option<i32>,
        status: Option<String>,
        is_published: bool,
        provenance: String,
    }

    /// A person with everything staff work on: adoptions, actions, updates (drafts too).
    pub async fn detail(
        db: &Db,
        user: &StaffUser,
        slug: &str,
    ) -> Result<Option<PersonWorkspace>, ServerFnError> {
        let id: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT id FROM persons WHERE slug = $1"
        )
        .bind(slug)
        .fetch_optional(pool)
        .await)
        .map_err(internal)?;
        let Some(id) = id else { return Ok(None) };
        let person = on_pool!(db, |pool| {
            async {
                let mut conn = pool.acquire().await?;
                person_record!(conn, id).await
            }
            .await
        })
        .map_err(internal)?
        .ok_or_else(|| internal("person vanished"))?;
        let rows: Vec<AdoptionListRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT m.slug AS municipality_slug, m.name AS municipality_name, a.adopted_year, a.adopted_month,
                    a.adopted_day, a.decision_reference, a.note
               FROM adoptions a JOIN municipalities m ON m.id = a.municipality_id
              WHERE a.person_id = $1 ORDER BY m.name"
        )
        .bind(id)
        .fetch_all(pool)
        .await)
        .map_err(internal)?;
        let mut adoptions = Vec::new();
        for row in rows {
            adoptions.push(AdoptionView {
                municipality: MunicipalityRef {
                    slug: Slug::parse(&row.municipality_slug).map_err(internal)?,
                    name: row.municipality_name,
                },
                adopted_on: date_from_columns(
                    row.adopted_year,
                    row.adopted_month,
                    row.adopted_day,
                )?,
                decision_reference: row.decision_reference,
                note: row.note,
            });
        }
        let own_adoption = user.municipality.as_ref().and_then(|mine| {
            adoptions
                .iter()
                .find(|a| a.municipality.slug == mine.slug)
                .cloned()
        });
        let actions: Vec<(String, String, bool, i64)> =
            on_pool!(db, |pool| sqlx::query_as(concat!(
                "SELECT a.slug, a.title, a.is_open, ",
                confirmed_count!(),
                " FROM support_actions a WHERE a.person_id = $1 ORDER BY a.opens_on DESC, a.slug"
            ))
            .bind(id)
            .fetch_all(pool)
            .await)
            .map_err(internal)?;
        let update_rows: Vec<UpdateListRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT id, title, occurred_year, occurred_month, occurred_day, status, is_published, provenance
               FROM status_events WHERE person_id = $1
              ORDER BY occurred_year DESC, occurred_month DESC, occurred_day DESC, id DESC"
        )
        .bind(id)
        .fetch_all(pool)
        .await)
        .map_err(internal)?;
        let mut updates = Vec::new();
        for row in update_rows {
            updates.push(StaffUpdateRow {
                id: row.id,
                title: row.title,
                occurred_on: date_from_columns(
                    row.occurred_year,
                    row.occurred_month,
                    row.occurred_day,
                )?,
                status: row
                    .status
                    .as_deref()
                    .map(Status::parse)
                    .transpose()
                    .map_err(internal)?,
                is_published: row.is_published,
                from_feed: row.provenance != "manual",
            });
        }
        Ok(Some(PersonWorkspace {
            can_edit: own_adoption.is_some(),
            user: user.clone(),
            person,
            adoptions,
            own_adoption,
            actions: actions
                .into_iter()
                .map(|(slug, title, is_open, confirmed)| StaffActionRow {
                    slug,
                    title,
                    is_open,
                    confirmed,
                })
                .collect(),
            updates,
            countries: Vec::new(),
            rights: Vec::new(),
            flash: None,
        }))
    }

    pub async fn action_detail(
        db: &Db,
        user: &StaffUser,
        slug: &str,
    ) -> Result<Option<SupportActionWorkspace>, ServerFnError> {
        let municipality_id = municipality_id(db, user).await?;
        let Some((id, _, can_edit)) = action_and_adoption(db, slug, municipality_id).await? else {
            return Ok(None);
        };
        let action = on_pool!(db, |pool| {
            async {
                let mut conn = pool.acquire().await?;
                action_record!(conn, id)
            }
            .await
        })
        .map_err(internal)?
        .ok_or_else(|| internal("support action vanished"))?;
        let (person_name, confirmed): (String, i64) = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT p.full_name, ",
            confirmed_count!(),
            " FROM support_actions a JOIN persons p ON p.id = a.person_id WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_one(pool)
        .await)
        .map_err(internal)?;
        Ok(Some(SupportActionWorkspace {
            user: user.clone(),
            action,
            person_name,
            confirmed,
            can_edit,
            flash: None,
        }))
    }
}
