//! Cases as staff see them, drafts included: the list of persons, and one
//! person with everything staff work on (adoptions, support actions, status
//! updates). Who may change them is `records::owners`.
use super::persons::PersonRecord;
use crate::api::{AdoptionView, RightsCategoryInfo};
use crate::backoffice::forms::FormFlash;
use crate::backoffice::StaffUser;
use crate::cases::consent::{ConsentView, Review};
use crate::domain::{CountryCode, PartialDate, Status};
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A person as staff see it, drafts included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPersonRow {
    pub slug: String,
    pub full_name: String,
    pub is_public: bool,
    pub current_status: Option<Status>,
    pub municipalities: Vec<String>,
    /// Where the consent review stands.
    pub review: Review,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonsWorkspace {
    pub user: StaffUser,
    pub persons: Vec<StaffPersonRow>,
    pub countries: Vec<(CountryCode, String)>,
    pub rights: Vec<RightsCategoryInfo>,
    /// The languages this council member's municipality requires before publishing.
    pub required_languages: Vec<Locale>,
    pub flash: Option<FormFlash>,
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
    /// Kept for staff, never published.
    pub is_internal: bool,
    pub from_feed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonWorkspace {
    pub user: StaffUser,
    pub person: PersonRecord,
    pub adoptions: Vec<AdoptionView>,
    /// The consent and risk on record, if any.
    pub consent: Option<ConsentView>,
    /// This council member's municipality's adoption, if any, ended or not.
    pub own_adoption: Option<AdoptionView>,
    /// Whether this user may edit the person and open actions for them:
    /// their municipality's adoption lasts.
    pub can_edit: bool,
    /// The portrait on record, if any.
    pub portrait: Option<crate::cases::portraits::StaffPortrait>,
    /// The take-down on record, if the case was taken down.
    pub take_down: Option<crate::cases::takedown::TakeDownView>,
    /// Whether this user may take the case down: a council member who may
    /// edit it, or an administrator.
    pub may_take_down: bool,
    /// Whether this user records consent: a council member who may edit
    /// the case, or an administrator when no municipality holds it.
    pub may_record_consent: bool,
    pub actions: Vec<StaffActionRow>,
    /// Newest first.
    pub updates: Vec<StaffUpdateRow>,
    pub countries: Vec<(CountryCode, String)>,
    pub rights: Vec<RightsCategoryInfo>,
    /// The languages the person's municipalities require before publishing.
    pub required_languages: Vec<Locale>,
    pub flash: Option<FormFlash>,
    /// How many addresses follow the case (issue 31): never which.
    pub followers: Followers,
}

/// How many follow a case without signing (`signing::follows`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Followers {
    pub confirmed: i64,
    /// Asked, not confirmed yet: no news goes to them.
    pub pending: i64,
}

#[server(prefix = "/api/staff", endpoint = "persons")]
pub async fn staff_persons(lang: String) -> Result<PersonsWorkspace, AppError> {
    use crate::api::places::on_server::{categories, country_choices};
    let user = require(Permission::ReadCases).await?;
    let db = crate::server::context::db()?;
    let locale = crate::i18n::Locale::from_code(&lang).unwrap_or_default();
    Ok(PersonsWorkspace {
        persons: on_server::list(&db).await?,
        countries: country_choices(&db, locale).await?,
        rights: categories(&db).await?,
        required_languages: match &user.municipality {
            Some(m) => {
                crate::records::translations::languages_required_by(&db, m.slug.as_str()).await?
            }
            None => Vec::new(),
        },
        user,
        flash: take_form_flash().await,
    })
}

#[server(prefix = "/api/staff", endpoint = "person")]
pub async fn staff_person(lang: String, slug: String) -> Result<Option<PersonWorkspace>, AppError> {
    use crate::api::places::on_server::{categories, country_choices};
    let user = require(Permission::ReadCases).await?;
    let db = crate::server::context::db()?;
    let locale = crate::i18n::Locale::from_code(&lang).unwrap_or_default();
    let Some(mut page) = on_server::detail(&db, &user, &slug).await? else {
        return Ok(None);
    };
    page.countries = country_choices(&db, locale).await?;
    page.rights = categories(&db).await?;
    page.required_languages = crate::records::translations::required_languages(&db, &slug).await?;
    page.flash = take_form_flash().await;
    Ok(Some(page))
}

#[cfg(feature = "ssr")]
use {
    crate::backoffice::{forms::on_server::take_form_flash, session::on_server::require},
    crate::domain::Permission,
};

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::cases::persons::on_server::PersonStore;
    use crate::on_pool;
    use crate::server::db::{stored_date, stored_status, Db};

    #[derive(sqlx::FromRow)]
    struct ListRow {
        id: i64,
        slug: String,
        full_name: String,
        is_public: bool,
        current_status: Option<String>,
    }

    /// Every person, drafts too, by name.
    pub async fn list(db: &Db) -> Result<Vec<StaffPersonRow>, sqlx::Error> {
        let rows: Vec<ListRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT p.id, p.slug, p.full_name, p.is_public, ",
            crate::current_status!("p"),
            " AS current_status FROM persons p"
        ))
        .fetch_all(pool)
        .await)?;
        let names: Vec<(String, String)> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT p.slug, m.name FROM adoptions a JOIN persons p ON p.id = a.person_id
               JOIN municipalities m ON m.id = a.municipality_id WHERE ",
            crate::adoption_lasts!("a"),
            " ORDER BY m.name"
        ))
        .fetch_all(pool)
        .await)?;
        let reviews = crate::cases::consent::on_server::reviews(db).await?;
        let mut persons = Vec::with_capacity(rows.len());
        for row in rows {
            persons.push(StaffPersonRow {
                review: reviews
                    .iter()
                    .find(|(id, _)| *id == row.id)
                    .map_or(Review::Missing, |(_, review)| *review),
                municipalities: names
                    .iter()
                    .filter(|(slug, _)| *slug == row.slug)
                    .map(|(_, name)| name.clone())
                    .collect(),
                current_status: stored_status(row.current_status.as_deref())?,
                slug: row.slug,
                full_name: row.full_name,
                is_public: row.is_public,
            });
        }
        persons.sort_by_cached_key(|p| crate::api::persons::on_server::name_key(&p.full_name));
        Ok(persons)
    }

    /// A person with everything staff work on: adoptions, actions, updates (drafts too).
    pub async fn detail(
        db: &Db,
        user: &StaffUser,
        slug: &str,
    ) -> Result<Option<PersonWorkspace>, sqlx::Error> {
        let id: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT id FROM persons WHERE slug = $1"
        )
        .bind(slug)
        .fetch_optional(pool)
        .await)?;
        let Some(id) = id else { return Ok(None) };
        let person = on_pool!(db, |pool| pool.acquire().await?.person_record(id).await)?
            .ok_or_else(|| crate::server::db::decode("person vanished"))?;
        // Staff pages show names as written.
        let adoptions = crate::api::persons::on_server::adoptions(db, id, None).await?;
        let own_adoption = user.municipality.as_ref().and_then(|mine| {
            adoptions
                .iter()
                .find(|a| a.municipality.slug == mine.slug)
                .cloned()
        });
        let can_edit = own_adoption.as_ref().is_some_and(|a| a.ended_on.is_none());
        let held = adoptions.iter().any(|a| a.ended_on.is_none());
        let admin = user.role == crate::domain::Role::Admin;
        Ok(Some(PersonWorkspace {
            can_edit,
            portrait: crate::cases::portraits::on_server::portrait_of(db, id).await?,
            take_down: crate::cases::takedown::on_server::take_down_of(db, id).await?,
            may_take_down: admin || (can_edit && Permission::TakeDownCases.allows(user.role)),
            may_record_consent: if admin {
                !held
            } else {
                can_edit && Permission::RecordConsent.allows(user.role)
            },
            consent: crate::cases::consent::on_server::consent_of(db, id).await?,
            user: user.clone(),
            person,
            adoptions,
            own_adoption,
            actions: actions(db, id).await?,
            updates: updates(db, id).await?,
            countries: Vec::new(),
            rights: Vec::new(),
            required_languages: Vec::new(),
            flash: None,
            followers: followers(db, id).await?,
        }))
    }

    async fn followers(db: &Db, person_id: i64) -> Result<Followers, sqlx::Error> {
        let (confirmed, pending): (i64, i64) = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE state = 'confirmed'), COUNT(*) FILTER (WHERE state = 'pending')
               FROM follows WHERE person_id = $1"
        )
        .bind(person_id)
        .fetch_one(pool)
        .await
        })?;
        Ok(Followers { confirmed, pending })
    }

    async fn actions(db: &Db, person_id: i64) -> Result<Vec<StaffActionRow>, sqlx::Error> {
        let rows: Vec<(String, String, bool, i64)> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT a.slug, a.title, a.is_open, ",
            crate::confirmed_count!(),
            " FROM support_actions a WHERE a.person_id = $1 ORDER BY a.opens_on DESC, a.slug"
        ))
        .bind(person_id)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(slug, title, is_open, confirmed)| StaffActionRow {
                slug,
                title,
                is_open,
                confirmed,
            })
            .collect())
    }

    #[derive(sqlx::FromRow)]
    struct UpdateRow {
        id: i64,
        title: String,
        occurred_year: i32,
        occurred_month: Option<i32>,
        occurred_day: Option<i32>,
        status: Option<String>,
        is_published: bool,
        is_internal: bool,
        provenance: String,
    }

    /// The person's status events, drafts too, newest first: the timeline's order.
    async fn updates(db: &Db, person_id: i64) -> Result<Vec<StaffUpdateRow>, sqlx::Error> {
        let rows: Vec<UpdateRow> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT e.id, e.title, e.occurred_year, e.occurred_month, e.occurred_day, e.status,
                    e.is_published, e.is_internal, e.provenance
               FROM status_events e WHERE e.person_id = $1 ORDER BY ",
            crate::newest_first!("e")
        ))
        .bind(person_id)
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|row| {
                Ok(StaffUpdateRow {
                    id: row.id,
                    title: row.title,
                    occurred_on: stored_date(
                        row.occurred_year,
                        row.occurred_month,
                        row.occurred_day,
                    )?,
                    status: stored_status(row.status.as_deref())?,
                    is_published: row.is_published,
                    is_internal: row.is_internal,
                    from_feed: row.provenance != "manual",
                })
            })
            .collect()
    }
}
