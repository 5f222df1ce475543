//! Reading municipalities and rights categories, each with the persons under it.
use super::{AdoptionView, Country, PersonSummary, RightsCategoryInfo};
use crate::domain::{PartialDate, RightsCategory, Slug};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MunicipalityDetail {
    pub slug: Slug,
    pub name: String,
    pub country: Option<Country>,
    pub joined_on: Option<PartialDate>,
    /// Each adopted public person with this municipality's adoption.
    pub adoptions: Vec<(PersonSummary, AdoptionView)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsCategoryDetail {
    pub info: RightsCategoryInfo,
    pub persons: Vec<PersonSummary>,
}

#[server]
pub async fn get_municipality(slug: Slug) -> Result<Option<MunicipalityDetail>, ServerFnError> {
    let db = super::db()?;
    queries::municipality(&db, &slug).await
}

#[server]
pub async fn get_rights_category(
    category: RightsCategory,
) -> Result<Option<RightsCategoryDetail>, ServerFnError> {
    let db = super::db()?;
    let Some(info) = queries::categories(&db)
        .await?
        .into_iter()
        .find(|c| c.category == category)
    else {
        return Ok(None);
    };
    let filter = super::persons::PersonFilter {
        rights: Some(category),
        ..Default::default()
    };
    let persons = super::persons::queries::list(&db, &filter).await?;
    Ok(Some(RightsCategoryDetail { info, persons }))
}

#[cfg(feature = "ssr")]
pub mod queries {
    use super::*;
    use crate::api::persons::queries as persons;
    use crate::api::{date_from_columns, internal, Localized, MunicipalityRef};
    use crate::on_pool;
    use crate::ssr::db::Db;

    #[derive(sqlx::FromRow)]
    struct CategoryRow {
        slug: String,
        name_en: String,
        name_fr: String,
        name_nl: String,
    }

    #[derive(sqlx::FromRow)]
    struct MunicipalityRow {
        id: i64,
        name: String,
        country_code: String,
        country_en: String,
        country_fr: String,
        country_nl: String,
        joined_year: Option<i32>,
        joined_month: Option<i32>,
        joined_day: Option<i32>,
    }

    #[derive(sqlx::FromRow)]
    struct AdoptedRow {
        person_slug: String,
        adopted_year: i32,
        adopted_month: Option<i32>,
        adopted_day: Option<i32>,
        decision_reference: Option<String>,
        note: Option<String>,
    }

    /// Every municipality of the network, by name.
    pub async fn municipalities(db: &Db) -> Result<Vec<MunicipalityRef>, ServerFnError> {
        let rows: Vec<(String, String)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT slug, name FROM municipalities ORDER BY name"
        )
        .fetch_all(pool)
        .await)
        .map_err(internal)?;
        rows.into_iter()
            .map(|(slug, name)| {
                Ok(MunicipalityRef {
                    slug: crate::api::ssr_slug(&slug)?,
                    name,
                })
            })
            .collect()
    }

    pub async fn categories(db: &Db) -> Result<Vec<RightsCategoryInfo>, ServerFnError> {
        let rows: Vec<CategoryRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT slug, name_en, name_fr, name_nl FROM rights_categories ORDER BY position"
        )
        .fetch_all(pool)
        .await)
        .map_err(internal)?;
        rows.into_iter()
            .map(|r| {
                Ok(RightsCategoryInfo {
                    category: RightsCategory::parse(&r.slug).map_err(internal)?,
                    name: Localized {
                        en: r.name_en,
                        fr: r.name_fr,
                        nl: r.name_nl,
                    },
                })
            })
            .collect()
    }

    #[tracing::instrument(skip(db))]
    pub async fn municipality(
        db: &Db,
        slug: &Slug,
    ) -> Result<Option<MunicipalityDetail>, ServerFnError> {
        let row: Option<MunicipalityRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT m.id, m.name, m.country_code,
                    c.name_en AS country_en, c.name_fr AS country_fr, c.name_nl AS country_nl,
                    m.joined_year, m.joined_month, m.joined_day
               FROM municipalities m JOIN countries c ON c.code = m.country_code
              WHERE m.slug = $1"
        )
        .bind(slug.as_str())
        .fetch_optional(pool)
        .await)
        .map_err(internal)?;
        let Some(m) = row else { return Ok(None) };

        let adopted: Vec<AdoptedRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT p.slug AS person_slug, a.adopted_year, a.adopted_month, a.adopted_day,
                    a.decision_reference, a.note
               FROM adoptions a JOIN persons p ON p.id = a.person_id
              WHERE a.municipality_id = $1 AND p.is_public"
        )
        .bind(m.id)
        .fetch_all(pool)
        .await)
        .map_err(internal)?;

        let filter = crate::api::persons::PersonFilter {
            municipality: Some(slug.clone()),
            ..Default::default()
        };
        let summaries = persons::list(db, &filter).await?;
        let this = MunicipalityRef {
            slug: slug.clone(),
            name: m.name.clone(),
        };
        let mut adoptions = Vec::with_capacity(adopted.len());
        for a in adopted {
            let Some(person) = summaries.iter().find(|p| p.slug.as_str() == a.person_slug) else {
                continue;
            };
            let view = AdoptionView {
                municipality: this.clone(),
                adopted_on: date_from_columns(a.adopted_year, a.adopted_month, a.adopted_day)?,
                decision_reference: a.decision_reference,
                note: a.note,
            };
            adoptions.push((person.clone(), view));
        }
        // Most recent adoptions first, then by name.
        adoptions.sort_by(|(pa, a), (pb, b)| {
            b.adopted_on.cmp(&a.adopted_on).then_with(|| {
                persons::name_key(&pa.full_name).cmp(&persons::name_key(&pb.full_name))
            })
        });
        let joined_on = match m.joined_year {
            Some(year) => Some(date_from_columns(year, m.joined_month, m.joined_day)?),
            None => None,
        };
        Ok(Some(MunicipalityDetail {
            slug: slug.clone(),
            name: m.name,
            country: persons::country(
                Some(&m.country_code),
                Some(m.country_en),
                Some(m.country_fr),
                Some(m.country_nl),
            )?,
            joined_on,
            adoptions,
        }))
    }
}
