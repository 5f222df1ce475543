//! The languages each municipality writes in: required before a case it
//! adopted is published (Brussels: French and Dutch), optional, or not
//! used. An administrator sets them on `/staff/municipalities`; what a
//! case needs before publication, and what the translation queue lists,
//! follow at once.
use crate::api::MunicipalityRef;
use crate::backoffice::forms::FormFlash;
use crate::backoffice::StaffUser;
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The form of one municipality's languages: one per municipality on the
/// page, each with its own field ids, a refused one coming back to its own.
pub fn languages_form(municipality: &str) -> String {
    format!("municipality-languages-{municipality}")
}

/// A municipality and how it uses each language of the network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MunicipalityLanguages {
    pub municipality: MunicipalityRef,
    /// Per language: `Some(true)` required before publishing, `Some(false)`
    /// optional, `None` not used.
    pub languages: Vec<(Locale, Option<bool>)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MunicipalitiesPage {
    pub user: StaffUser,
    pub municipalities: Vec<MunicipalityLanguages>,
    pub flash: Option<FormFlash>,
}

#[server(prefix = "/api/staff", endpoint = "municipalities")]
pub async fn staff_municipalities() -> Result<MunicipalitiesPage, AppError> {
    let user = require(Permission::ManageMunicipalities).await?;
    let db = crate::server::context::db()?;
    Ok(MunicipalitiesPage {
        user,
        municipalities: on_server::languages(&db).await?,
        flash: take_form_flash().await,
    })
}

/// Sets how a municipality uses each language: `required`, `optional` or
/// empty (not used), one field per language.
#[server(prefix = "/api/staff", endpoint = "set-municipality-languages")]
pub async fn set_municipality_languages(
    lang: String,
    municipality: String,
    #[server(default)] en: String,
    #[server(default)] fr: String,
    #[server(default)] nl: String,
) -> Result<(), AppError> {
    use crate::backoffice::forms::on_server::{done, refuse};
    use crate::backoffice::forms::Problems;
    let user = require(Permission::ManageMunicipalities).await?;
    let db = crate::server::context::db()?;
    let locale = Locale::from_code(&lang).unwrap_or_default();
    let mut problems = Problems::default();
    let mut languages = Vec::new();
    for (language, typed) in [(Locale::En, &en), (Locale::Fr, &fr), (Locale::Nl, &nl)] {
        match typed.trim() {
            "required" => languages.push((language, true)),
            "optional" => languages.push((language, false)),
            "" => {}
            _ => problems.add(language.code(), "form.invalid_choice"),
        }
    }
    let values = [
        ("municipality", &municipality),
        ("en", &en),
        ("fr", &fr),
        ("nl", &nl),
    ];
    let values: std::collections::BTreeMap<_, _> = values.into_iter().collect();
    if !problems.is_empty() {
        return refuse(&languages_form(municipality.trim()), &values, problems).await;
    }
    if !on_server::set_languages(&db, user.actor(), municipality.trim(), &languages).await? {
        return Err(AppError::not_found("municipality"));
    }
    done(
        &languages_form(municipality.trim()),
        "staff.saved",
        &locale.path("/staff/municipalities", false),
    )
    .await
}

#[cfg(feature = "ssr")]
use {
    crate::backoffice::{forms::on_server::take_form_flash, session::on_server::require},
    crate::domain::Permission,
};

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::i18n::LangText;
    use crate::on_pool;
    use crate::records::translations::stored_language;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::{stored_slug, BeginWrite, Db};

    /// Every municipality with how it uses each language, by name.
    pub async fn languages(db: &Db) -> Result<Vec<MunicipalityLanguages>, sqlx::Error> {
        let rows: Vec<(i64, String, String, String)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT id, slug, name, original_language FROM municipalities ORDER BY name"
        )
        .fetch_all(pool)
        .await)?;
        let used: Vec<(i64, String, bool)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT municipality_id, language, required FROM municipality_languages"
        )
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|(id, slug, name, language)| {
                let languages = Locale::ALL
                    .into_iter()
                    .map(|l| {
                        let use_of = used
                            .iter()
                            .find(|(m, code, _)| *m == id && code == l.code())
                            .map(|(_, _, required)| *required);
                        (l, use_of)
                    })
                    .collect();
                Ok(MunicipalityLanguages {
                    municipality: MunicipalityRef {
                        slug: stored_slug(&slug)?,
                        name: LangText {
                            text: name,
                            lang: stored_language(&language)?,
                        },
                    },
                    languages,
                })
            })
            .collect()
    }

    /// Sets the languages a municipality uses, `true` for required ones,
    /// audited; `false`: no such municipality. What its cases need before
    /// publication, and what the translation queue lists, follow at once.
    #[tracing::instrument(skip(db, languages), fields(%actor, municipality = slug))]
    pub async fn set_languages(
        db: &Db,
        actor: Actor,
        slug: &str,
        languages: &[(Locale, bool)],
    ) -> Result<bool, sqlx::Error> {
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let id: Option<i64> =
                sqlx::query_scalar("SELECT id FROM municipalities WHERE slug = $1")
                    .bind(slug)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(id) = id else { return Ok(false) };
            let before: Vec<(String, bool)> = sqlx::query_as(
                "SELECT language, required FROM municipality_languages WHERE municipality_id = $1 ORDER BY language",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM municipality_languages WHERE municipality_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for (language, required) in languages {
                sqlx::query(
                    "INSERT INTO municipality_languages (municipality_id, language, required) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(language.code())
                .bind(*required)
                .execute(&mut *tx)
                .await?;
            }
            let after: Vec<(&str, bool)> = languages.iter().map(|(l, r)| (l.code(), *r)).collect();
            let entry = AuditEntry::new(actor, "municipality.languages", "municipality", id)
                .before(&before)
                .after(&after);
            tx.record_audit(&entry).await?;
            tx.commit().await?;
            Ok(true)
        })
    }
}
