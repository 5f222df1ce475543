//! Support actions as the public reads them: what citizens sign, how far the
//! count has come, and who signed (first names of those who asked to be shown).
use crate::domain::{Availability, PartialDate, Slug};
use crate::error::AppError;
use crate::i18n::{LangText, Locale};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportActionDetail {
    pub slug: Slug,
    pub title: LangText,
    /// Sanitized when stored.
    pub body_html: LangText,
    pub addressee: LangText,
    pub goal: i64,
    pub person_slug: Slug,
    pub person_name: String,
    pub opens_on: PartialDate,
    pub closes_on: Option<PartialDate>,
    pub availability: Availability,
    /// Only confirmed signatures count.
    pub confirmed: i64,
    /// Confirmed signatures per day (UTC), from the first such day to the
    /// last, quiet days included as zero.
    pub per_day: Vec<(PartialDate, i64)>,
    /// The latest confirmed signers who asked to be shown: first name and place only.
    pub recent_signers: Vec<RecentSigner>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentSigner {
    pub first_name: String,
    pub place: Option<String>,
}

impl RecentSigner {
    /// Shows the first word of the name only: the signer agreed to be named
    /// on the page, not to be identifiable.
    pub fn from_stored(name: &str, place: Option<String>) -> Self {
        Self {
            first_name: name
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned(),
            place: place.filter(|p| !p.trim().is_empty()),
        }
    }
}

#[server]
pub async fn get_support_action(
    slug: Slug,
    lang: Locale,
) -> Result<Option<SupportActionDetail>, AppError> {
    let db = crate::server::context::db()?;
    Ok(on_server::detail(&db, &slug, lang).await?)
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::on_pool;
    use crate::server::clock::{availability_today, date as partial};
    use crate::server::db::{stored_slug, Db};
    use crate::server::translations::stored_text;
    use crate::translated;
    use crate::translation_join;
    use chrono::NaiveDate;

    #[derive(sqlx::FromRow)]
    struct DetailRow {
        slug: String,
        title: String,
        title_lang: String,
        body_html: String,
        body_html_lang: String,
        addressee: String,
        addressee_lang: String,
        goal: i64,
        person_slug: String,
        person_name: String,
        opens_on: NaiveDate,
        closes_on: Option<NaiveDate>,
        is_open: bool,
        confirmed: i64,
    }

    /// An action of a public person, with its count of confirmed signatures.
    #[tracing::instrument(skip(db))]
    pub async fn detail(
        db: &Db,
        slug: &Slug,
        lang: Locale,
    ) -> Result<Option<SupportActionDetail>, sqlx::Error> {
        let row: Option<DetailRow> = on_pool!(db, |pool| {
            sqlx::query_as(
            concat!(
            "SELECT a.slug, ", translated!("a"."title"), ", ", translated!("a"."body_html"), ", ",
            translated!("a"."addressee"), ", CAST(a.goal AS BIGINT) AS goal,
                    p.slug AS person_slug, p.full_name AS person_name, a.opens_on, a.closes_on, a.is_open,
                    ",
            confirmed_count!(),
            " AS confirmed
               FROM support_actions a JOIN persons p ON p.id = a.person_id",
            translation_join!("support_action_translations"."support_action_id", "a"."title", "$2"),
            translation_join!("support_action_translations"."support_action_id", "a"."body_html", "$2"),
            translation_join!("support_action_translations"."support_action_id", "a"."addressee", "$2"),
            " WHERE a.slug = $1 AND p.is_public"
        )
        )
        .bind(slug.as_str())
        .bind(lang.code())
        .fetch_optional(pool)
        .await
        })?;
        let Some(row) = row else { return Ok(None) };
        let days: Vec<(i64, i64)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT s.confirmed_at / 86400 AS day, COUNT(*) AS confirmed
               FROM signatures s JOIN support_actions a ON a.id = s.action_id
              WHERE a.slug = $1 AND s.state = 'confirmed' AND s.confirmed_at IS NOT NULL
              GROUP BY s.confirmed_at / 86400 ORDER BY day"
        )
        .bind(slug.as_str())
        .fetch_all(pool)
        .await)?;
        let recent: Vec<(String, Option<String>)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT s.name, s.place
               FROM signatures s JOIN support_actions a ON a.id = s.action_id
              WHERE a.slug = $1 AND s.state = 'confirmed' AND s.show_name AND NOT s.anonymised
              ORDER BY s.confirmed_at DESC, s.id DESC LIMIT 10"
        )
        .bind(slug.as_str())
        .fetch_all(pool)
        .await)?;
        let per_day = match (days.first(), days.last()) {
            (Some(&(first, _)), Some(&(last, _))) => {
                let counts: std::collections::HashMap<i64, i64> = days.iter().copied().collect();
                (first..=last)
                    .filter_map(|day| {
                        let date = chrono::DateTime::from_timestamp(day * 86_400, 0)?.date_naive();
                        Some((partial(date), counts.get(&day).copied().unwrap_or(0)))
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let recent_signers = recent
            .into_iter()
            .map(|(name, place)| RecentSigner::from_stored(&name, place))
            .collect();
        let opens_on = partial(row.opens_on);
        let closes_on = row.closes_on.map(partial);
        Ok(Some(SupportActionDetail {
            slug: stored_slug(&row.slug)?,
            person_slug: stored_slug(&row.person_slug)?,
            title: stored_text(row.title, &row.title_lang)?,
            body_html: stored_text(row.body_html, &row.body_html_lang)?,
            addressee: stored_text(row.addressee, &row.addressee_lang)?,
            goal: row.goal,
            person_name: row.person_name,
            availability: availability_today(row.is_open, row.opens_on, row.closes_on),
            opens_on,
            closes_on,
            confirmed: row.confirmed,
            per_day,
            recent_signers,
        }))
    }
}
