//! Whether a case was taken down (issue 29): the one definition every
//! public reader uses where it finds nothing to show, to answer 410 Gone
//! (a neutral text, no name) instead of 404, so that readers, caches,
//! search engines and partner instances drop what they kept. Asked only on
//! that path: a page that shows something never pays for it.
//!
//! A person taken down is also private (`is_public` false), so every list,
//! count, CSV and structured data that reads public persons leaves
//! them out without knowing of take-downs.
use crate::on_pool;
use crate::server::db::Db;

/// The SQL condition "the person `p` was taken down".
#[macro_export]
macro_rules! taken_down {
    ($p:literal) => {
        concat!($p, ".taken_down_at IS NOT NULL")
    };
}

/// Whether the person at `slug` was taken down.
pub async fn person_gone(db: &Db, slug: &str) -> Result<bool, sqlx::Error> {
    let gone: Option<bool> = on_pool!(db, |pool| sqlx::query_scalar(concat!(
        "SELECT ",
        crate::taken_down!("p"),
        " FROM persons p WHERE p.slug = $1"
    ))
    .bind(slug)
    .fetch_optional(pool)
    .await)?;
    Ok(gone.unwrap_or(false))
}

/// Whether the support action at `slug` is about a person taken down.
pub async fn action_gone(db: &Db, slug: &str) -> Result<bool, sqlx::Error> {
    let gone: Option<bool> = on_pool!(db, |pool| sqlx::query_scalar(concat!(
        "SELECT ",
        crate::taken_down!("p"),
        " FROM support_actions a JOIN persons p ON p.id = a.person_id WHERE a.slug = $1"
    ))
    .bind(slug)
    .fetch_optional(pool)
    .await)?;
    Ok(gone.unwrap_or(false))
}

/// An entry of our feeds that was taken down: its status event, and when.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Tombstone {
    pub status_event_id: i64,
    pub taken_down_at: i64,
}

/// Every status event our feeds published about a person since taken
/// down (`person`: that one's only), newest take-down first: what the
/// feeds' tombstones name (ids only).
pub async fn tombstones(db: &Db, person: Option<&str>) -> Result<Vec<Tombstone>, sqlx::Error> {
    on_pool!(db, |pool| sqlx::query_as(concat!(
        "SELECT e.id AS status_event_id, p.taken_down_at
           FROM status_events e JOIN persons p ON p.id = e.person_id
          WHERE ",
        crate::taken_down!("p"),
        " AND ($1 IS NULL OR p.slug = $1)
            AND e.feed_entry_id IS NULL AND (e.is_published OR e.published_at IS NOT NULL)
          ORDER BY p.taken_down_at DESC, e.id DESC"
    ))
    .bind(person)
    .fetch_all(pool)
    .await)
}
