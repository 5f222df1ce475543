//! Support actions: what citizens sign. Reading them here; signing has its own flow.
use crate::domain::{Line, PartialDate, Slug};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether an action takes signatures today, and if not, why not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Availability {
    Open,
    NotYetOpen,
    DeadlinePassed,
    ClosedByOrganisers,
}

impl Availability {
    /// Closed by hand wins; otherwise the dates decide. Both ends are inclusive.
    pub fn on(
        is_open: bool,
        opens_on: PartialDate,
        closes_on: Option<PartialDate>,
        today: PartialDate,
    ) -> Self {
        if !is_open {
            Availability::ClosedByOrganisers
        } else if today < opens_on {
            Availability::NotYetOpen
        } else if closes_on.is_some_and(|closes| today > closes) {
            Availability::DeadlinePassed
        } else {
            Availability::Open
        }
    }

    /// Language-free name, for markup and tests.
    pub fn slug(self) -> &'static str {
        match self {
            Availability::Open => "open",
            Availability::NotYetOpen => "not-yet-open",
            Availability::DeadlinePassed => "deadline-passed",
            Availability::ClosedByOrganisers => "closed",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Availability::Open => "action.open",
            Availability::NotYetOpen => "action.not_yet_open",
            Availability::DeadlinePassed => "action.deadline_passed",
            Availability::ClosedByOrganisers => "action.closed_by_organisers",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportActionDetail {
    pub slug: Slug,
    pub title: String,
    /// Sanitized when stored.
    pub body_html: String,
    pub addressee: String,
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

/// What staff (or the command line) give to open a new support action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSupportAction {
    pub person: Slug,
    pub slug: Slug,
    pub title: Line,
    pub body_html: String,
    pub addressee: Line,
    pub goal: u32,
    pub opens_on: PartialDate,
    pub closes_on: Option<PartialDate>,
}

#[server]
pub async fn get_support_action(slug: Slug) -> Result<Option<SupportActionDetail>, ServerFnError> {
    let db = super::db()?;
    queries::detail(&db, &slug).await.map_err(super::internal)
}

#[cfg(feature = "ssr")]
pub mod queries {
    use super::*;
    use crate::on_pool;
    use crate::ssr::db::Db;
    use chrono::{Datelike, NaiveDate};

    #[derive(Debug, thiserror::Error)]
    pub enum ActionError {
        #[error("no public person has the slug {0:?}")]
        UnknownPerson(String),
        #[error("a support action with the slug {0:?} already exists")]
        SlugTaken(String),
        #[error("no support action has the slug {0:?}")]
        UnknownAction(String),
        #[error("an action opens and closes on full dates (YYYY-MM-DD), not {0}")]
        NotAFullDate(PartialDate),
        #[error("the closing date comes before the opening date")]
        ClosesBeforeOpening,
        #[error("the goal must be at least one signature")]
        NoGoal,
        #[error(transparent)]
        Database(#[from] sqlx::Error),
    }

    fn naive(date: PartialDate) -> Result<NaiveDate, ActionError> {
        match (date.month_part(), date.day_part()) {
            (Some(m), Some(d)) => NaiveDate::from_ymd_opt(date.year_part(), m.into(), d.into())
                .ok_or(ActionError::NotAFullDate(date)),
            _ => Err(ActionError::NotAFullDate(date)),
        }
    }

    pub fn partial(date: NaiveDate) -> PartialDate {
        let fallback = || PartialDate::year(PartialDate::MIN_YEAR).expect("minimum year is valid");
        PartialDate::ymd(date.year(), date.month() as u8, date.day() as u8)
            .unwrap_or_else(|_| fallback())
    }

    pub fn today() -> PartialDate {
        partial(chrono::Utc::now().date_naive())
    }

    /// Whether an action as stored takes signatures today.
    pub fn availability_today(
        is_open: bool,
        opens_on: NaiveDate,
        closes_on: Option<NaiveDate>,
    ) -> Availability {
        Availability::on(is_open, partial(opens_on), closes_on.map(partial), today())
    }

    #[derive(sqlx::FromRow)]
    struct DetailRow {
        slug: String,
        title: String,
        body_html: String,
        addressee: String,
        goal: i64,
        person_slug: String,
        person_name: String,
        opens_on: NaiveDate,
        closes_on: Option<NaiveDate>,
        is_open: bool,
        confirmed: i64,
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct ListedAction {
        pub slug: String,
        pub person_slug: String,
        pub title: String,
        pub goal: i64,
        pub opens_on: NaiveDate,
        pub closes_on: Option<NaiveDate>,
        pub is_open: bool,
        pub confirmed: i64,
    }

    /// An action of a public person, with its count of confirmed signatures.
    #[tracing::instrument(skip(db))]
    pub async fn detail(db: &Db, slug: &Slug) -> Result<Option<SupportActionDetail>, ActionError> {
        let row: Option<DetailRow> = on_pool!(db, |pool| {
            sqlx::query_as(
            concat!(
            "SELECT a.slug, a.title, a.body_html, a.addressee, CAST(a.goal AS BIGINT) AS goal,
                    p.slug AS person_slug, p.full_name AS person_name, a.opens_on, a.closes_on, a.is_open,
                    ",
            confirmed_count!(),
            " AS confirmed
               FROM support_actions a JOIN persons p ON p.id = a.person_id
              WHERE a.slug = $1 AND p.is_public"
        )
        )
        .bind(slug.as_str())
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
            slug: Slug::parse(&row.slug).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            person_slug: Slug::parse(&row.person_slug)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            title: row.title,
            body_html: row.body_html,
            addressee: row.addressee,
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

    /// Opens a new support action; the text is sanitized on the way in.
    pub async fn create(db: &Db, action: &NewSupportAction) -> Result<(), ActionError> {
        let opens_on = naive(action.opens_on)?;
        let closes_on = action.closes_on.map(naive).transpose()?;
        if closes_on.is_some_and(|closes| closes < opens_on) {
            return Err(ActionError::ClosesBeforeOpening);
        }
        if action.goal == 0 {
            return Err(ActionError::NoGoal);
        }
        let body_html = crate::ssr::sanitize::rich_text(&action.body_html);
        let inserted = on_pool!(db, |pool| {
            sqlx::query(
            "INSERT INTO support_actions (person_id, slug, title, body_html, addressee, goal, opens_on, closes_on, is_open)
             SELECT p.id, $2, $3, $4, $5, $6, $7, $8, TRUE FROM persons p WHERE p.slug = $1 AND p.is_public
             ON CONFLICT (slug) DO NOTHING"
        )
        .bind(action.person.as_str())
        .bind(action.slug.as_str())
        .bind(action.title.as_str())
        .bind(&body_html)
        .bind(action.addressee.as_str())
        .bind(i64::from(action.goal))
        .bind(opens_on)
        .bind(closes_on)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        if inserted == 1 {
            return Ok(());
        }
        let person_exists: i64 = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM persons WHERE slug = $1 AND is_public"
        )
        .bind(action.person.as_str())
        .fetch_one(pool)
        .await)?;
        if person_exists == 0 {
            Err(ActionError::UnknownPerson(action.person.to_string()))
        } else {
            Err(ActionError::SlugTaken(action.slug.to_string()))
        }
    }

    /// Closes an action by hand. Closing a closed action changes nothing.
    pub async fn close(db: &Db, slug: &Slug) -> Result<(), ActionError> {
        // Both backends count a matched row even when it was closed already.
        let matched = on_pool!(db, |pool| {
            sqlx::query(
            "UPDATE support_actions SET is_open = FALSE, closed_at = COALESCE(closed_at, $2) WHERE slug = $1"
        )
        .bind(slug.as_str())
        .bind(crate::ssr::outbox::unix_now())
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        if matched == 0 {
            return Err(ActionError::UnknownAction(slug.to_string()));
        }
        Ok(())
    }

    pub async fn list(db: &Db) -> Result<Vec<ListedAction>, ActionError> {
        Ok(on_pool!(db, |pool| {
            sqlx::query_as(
            concat!(
            "SELECT a.slug, p.slug AS person_slug, a.title, CAST(a.goal AS BIGINT) AS goal, a.opens_on, a.closes_on,
                    a.is_open,
                    ",
            confirmed_count!(),
            " AS confirmed
               FROM support_actions a JOIN persons p ON p.id = a.person_id
              ORDER BY a.opens_on DESC, a.slug"
        )
        )
        .fetch_all(pool)
        .await
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> PartialDate {
        PartialDate::parse(s).unwrap()
    }

    #[test]
    fn availability_follows_the_dates_and_the_organisers() {
        let opens = d("2026-11-01");
        let closes = Some(d("2026-11-30"));
        assert_eq!(
            Availability::on(true, opens, closes, d("2026-10-31")),
            Availability::NotYetOpen
        );
        assert_eq!(
            Availability::on(true, opens, closes, d("2026-11-01")),
            Availability::Open
        );
        assert_eq!(
            Availability::on(true, opens, closes, d("2026-11-30")),
            Availability::Open
        );
        assert_eq!(
            Availability::on(true, opens, closes, d("2026-12-01")),
            Availability::DeadlinePassed
        );
        assert_eq!(
            Availability::on(true, opens, None, d("2030-01-01")),
            Availability::Open
        );
        assert_eq!(
            Availability::on(false, opens, closes, d("2026-11-15")),
            Availability::ClosedByOrganisers
        );
    }
}
