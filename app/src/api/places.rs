//! Reading municipalities and rights categories, each with the persons under
//! it, and the list of countries.
use super::{AdoptionView, Country, PersonSummary, RightsCategoryInfo};
use crate::domain::{CountryCode, PartialDate, RightsCategory, Slug};
use crate::error::AppError;
use crate::i18n::{LangText, Locale};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MunicipalityDetail {
    pub slug: Slug,
    pub name: LangText,
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
pub async fn get_municipality(
    slug: Slug,
    lang: Locale,
) -> Result<Option<MunicipalityDetail>, AppError> {
    let db = crate::server::context::db()?;
    Ok(on_server::municipality(&db, &slug, lang).await?)
}

#[server]
pub async fn get_rights_category(
    category: RightsCategory,
    lang: Locale,
) -> Result<Option<RightsCategoryDetail>, AppError> {
    let db = crate::server::context::db()?;
    let Some(info) = on_server::categories(&db)
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
    let persons = super::persons::on_server::list(&db, &filter, lang).await?;
    Ok(Some(RightsCategoryDetail { info, persons }))
}

/// Every country, named and sorted in the page's language, for the lists of
/// the signing form and the staff forms.
#[server]
pub async fn country_choices(locale: Locale) -> Result<Vec<(CountryCode, String)>, AppError> {
    let db = crate::server::context::db()?;
    Ok(on_server::country_choices(&db, locale).await?)
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::api::persons::on_server as persons;
    use crate::api::{Localized, MunicipalityRef};
    use crate::on_pool;
    use crate::records::translations::stored_text;
    use crate::server::db::{stored_date, stored_optional_date, stored_slug, Db};
    /// The rights categories are read where persons are filtered by them.
    pub use persons::categories;

    pub async fn country_choices(
        db: &Db,
        locale: Locale,
    ) -> Result<Vec<(CountryCode, String)>, sqlx::Error> {
        let rows: Vec<(String, String, String, String)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT code, name_en, name_fr, name_nl FROM countries"
        )
        .fetch_all(pool)
        .await)?;
        let mut choices = rows
            .into_iter()
            .filter_map(|(code, en, fr, nl)| {
                let name = Localized { en, fr, nl }.get(locale).to_owned();
                CountryCode::parse(&code).ok().map(|code| (code, name))
            })
            .collect::<Vec<_>>();
        choices.sort_by_cached_key(|(_, name)| persons::name_key(name));
        Ok(choices)
    }

    #[derive(sqlx::FromRow)]
    struct MunicipalityRow {
        id: i64,
        name: String,
        name_lang: String,
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
        ended_year: Option<i32>,
        ended_month: Option<i32>,
        ended_day: Option<i32>,
        decision_reference: Option<String>,
        note: Option<String>,
    }

    /// Every municipality of the network, by its name as written (staff choices).
    pub async fn municipalities(db: &Db) -> Result<Vec<MunicipalityRef>, sqlx::Error> {
        let rows: Vec<(String, String, String)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT slug, name, original_language FROM municipalities ORDER BY name"
        )
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|(slug, name, lang)| {
                Ok(MunicipalityRef {
                    slug: stored_slug(&slug)?,
                    name: stored_text(name, &lang)?,
                })
            })
            .collect()
    }

    /// A municipality of the network as the open data lists it.
    pub struct MunicipalityListing {
        pub slug: Slug,
        /// In the language asked for where translated.
        pub name: LangText,
        pub country_code: String,
        pub joined_on: Option<PartialDate>,
        /// Public persons it adopted.
        pub adopted: i64,
    }

    #[derive(sqlx::FromRow)]
    struct ListingRow {
        slug: String,
        name: String,
        name_lang: String,
        country_code: String,
        joined_year: Option<i32>,
        joined_month: Option<i32>,
        joined_day: Option<i32>,
        adopted: i64,
    }

    /// Every municipality of the network with its name in `lang`, by slug.
    pub async fn municipalities_in(
        db: &Db,
        lang: Locale,
    ) -> Result<Vec<MunicipalityListing>, sqlx::Error> {
        let rows: Vec<ListingRow> = on_pool!(db, |pool| {
            sqlx::query_as(concat!(
            "SELECT m.slug, ",
            crate::translated!("m"."name"),
            ", m.country_code, m.joined_year, m.joined_month, m.joined_day,
                    (SELECT COUNT(*) FROM adoptions a JOIN persons p ON p.id = a.person_id
                      WHERE a.municipality_id = m.id AND p.is_public AND ",
            crate::adoption_lasts!("a"),
            ") AS adopted
               FROM municipalities m",
            crate::translation_join!("municipality_translations"."municipality_id", "m"."name", "$1"),
            " ORDER BY m.slug"
        ))
        .bind(lang.code())
        .fetch_all(pool)
        .await
        })?;
        rows.into_iter()
            .map(|r| {
                Ok(MunicipalityListing {
                    slug: stored_slug(&r.slug)?,
                    name: stored_text(r.name, &r.name_lang)?,
                    country_code: r.country_code,
                    joined_on: stored_optional_date(r.joined_year, r.joined_month, r.joined_day)?,
                    adopted: r.adopted,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip(db))]
    pub async fn municipality(
        db: &Db,
        slug: &Slug,
        lang: Locale,
    ) -> Result<Option<MunicipalityDetail>, sqlx::Error> {
        let row: Option<MunicipalityRow> = on_pool!(db, |pool| {
            sqlx::query_as(concat!(
            "SELECT m.id, ",
            crate::translated!("m"."name"),
            ", m.country_code,
                    c.name_en AS country_en, c.name_fr AS country_fr, c.name_nl AS country_nl,
                    m.joined_year, m.joined_month, m.joined_day
               FROM municipalities m JOIN countries c ON c.code = m.country_code",
            crate::translation_join!("municipality_translations"."municipality_id", "m"."name", "$2"),
            " WHERE m.slug = $1"
        ))
        .bind(slug.as_str())
        .bind(lang.code())
        .fetch_optional(pool)
        .await
        })?;
        let Some(m) = row else { return Ok(None) };

        let adopted: Vec<AdoptedRow> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT p.slug AS person_slug, a.adopted_year, a.adopted_month, a.adopted_day,
                    a.ended_year, a.ended_month, a.ended_day, a.decision_reference, a.note
               FROM adoptions a JOIN persons p ON p.id = a.person_id
              WHERE a.municipality_id = $1 AND p.is_public"
        )
        .bind(m.id)
        .fetch_all(pool)
        .await)?;

        let summaries = persons::ever_adopted_by(db, slug, lang).await?;
        let name = stored_text(m.name, &m.name_lang)?;
        let this = MunicipalityRef {
            slug: slug.clone(),
            name: name.clone(),
        };
        let mut adoptions = Vec::with_capacity(adopted.len());
        for a in adopted {
            let Some(person) = summaries.iter().find(|p| p.slug.as_str() == a.person_slug) else {
                continue;
            };
            let view = AdoptionView {
                municipality: this.clone(),
                adopted_on: stored_date(a.adopted_year, a.adopted_month, a.adopted_day)?,
                ended_on: stored_optional_date(a.ended_year, a.ended_month, a.ended_day)?,
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
        let joined_on = stored_optional_date(m.joined_year, m.joined_month, m.joined_day)?;
        Ok(Some(MunicipalityDetail {
            slug: slug.clone(),
            name,
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
