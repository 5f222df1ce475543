//! Municipalities of the network. A new city joins from the command line
//! (`server add-municipality`), so that a fresh install can create council
//! members for it; the change is audited like any other. It declares the
//! languages it works in: those required before a case it adopted is
//! published (Brussels: French and Dutch) and optional ones.
use crate::domain::{CountryCode, Line, PartialDate, Slug};
use crate::i18n::Locale;
use crate::on_pool;
use crate::server::audit::{Actor, AuditEntry, RecordAudit};
use crate::server::db::{BeginWrite, Db};

#[derive(Debug, thiserror::Error)]
pub enum MunicipalityError {
    #[error("a municipality with the slug {0:?} exists already")]
    SlugTaken(String),
    #[error("no country has the code {0:?}")]
    UnknownCountry(String),
    #[error("{0} is given both as required and as optional")]
    LanguageTwice(&'static str),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct NewMunicipality {
    pub slug: Slug,
    pub name: Line,
    pub country: CountryCode,
    pub joined_on: Option<PartialDate>,
    /// Written before a case it adopted is published; the first is the
    /// language of its name.
    pub required_languages: Vec<Locale>,
    pub optional_languages: Vec<Locale>,
}

impl NewMunicipality {
    /// The language its name is written in.
    pub fn name_language(&self) -> Locale {
        self.required_languages
            .iter()
            .chain(&self.optional_languages)
            .next()
            .copied()
            .unwrap_or_default()
    }
}

/// Adds a municipality; returns its id.
#[tracing::instrument(skip(db, municipality), fields(%actor, municipality = %municipality.slug))]
pub async fn add(
    db: &Db,
    actor: Actor,
    municipality: &NewMunicipality,
) -> Result<i64, MunicipalityError> {
    if let Some(both) = municipality
        .required_languages
        .iter()
        .find(|l| municipality.optional_languages.contains(l))
    {
        return Err(MunicipalityError::LanguageTwice(both.code()));
    }
    on_pool!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let country: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM countries WHERE code = $1")
            .bind(municipality.country.as_str())
            .fetch_one(&mut *tx)
            .await?;
        if country == 0 {
            return Err(MunicipalityError::UnknownCountry(
                municipality.country.to_string(),
            ));
        }
        let joined = municipality.joined_on;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO municipalities (slug, name, country_code, joined_year, joined_month, joined_day,
                                         original_language)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (slug) DO NOTHING RETURNING id",
        )
        .bind(municipality.slug.as_str())
        .bind(municipality.name.as_str())
        .bind(municipality.country.as_str())
        .bind(joined.map(|d| d.year_part()))
        .bind(joined.and_then(|d| d.month_part()).map(i32::from))
        .bind(joined.and_then(|d| d.day_part()).map(i32::from))
        .bind(municipality.name_language().code())
        .fetch_optional(&mut *tx)
        .await?;
        let id = id.ok_or_else(|| MunicipalityError::SlugTaken(municipality.slug.to_string()))?;
        let languages = municipality
            .required_languages
            .iter()
            .map(|l| (l, true))
            .chain(municipality.optional_languages.iter().map(|l| (l, false)));
        for (language, required) in languages {
            sqlx::query(
                "INSERT INTO municipality_languages (municipality_id, language, required) VALUES ($1, $2, $3)
                 ON CONFLICT (municipality_id, language) DO NOTHING",
            )
            .bind(id)
            .bind(language.code())
            .bind(required)
            .execute(&mut *tx)
            .await?;
        }
        let entry =
            AuditEntry::new(actor, "municipality.create", "municipality", id).after(municipality);
        tx.record_audit(&entry).await?;
        tx.commit().await?;
        Ok(id)
    })
}
