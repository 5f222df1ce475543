//! Syncing partner feeds, top to bottom, as Miniflux does it: a pass
//! claims the feeds that are due (`storage`; on PostgreSQL with `FOR UPDATE
//! SKIP LOCKED`, so that several instances never fetch the same feed at
//! once), fetches each carefully (`client`), parses RSS, Atom or JSON Feed
//! with feed-rs (`parser`), matches each entry to a person (`processor`),
//! and stores it once, sanitized (`storage`). A trusted feed's matched
//! entries become published status events at once. Nothing a partner serves
//! is trusted: sizes, times, redirects and markup are all bounded.
pub mod client;
pub mod parser;
pub mod processor;
pub mod storage;

pub use client::{client, client_builder, is_public, FeedClient, Reach};
pub use storage::PassReport;

use crate::server::db::Db;
use std::sync::Arc;

/// Feeds claimed at once; a pass claims batches until none is due.
pub const CLAIM_BATCH: i64 = 32;

/// One pass: claims due feeds and syncs each. `sync-feeds` runs one; the
/// worker beside the web server runs one a minute.
pub async fn run_pass(db: &Db, client: &FeedClient, now: i64) -> Result<PassReport, sqlx::Error> {
    let mut report = PassReport::default();
    let persons = Arc::new(processor::person_names(db).await?);
    // One parse at a time: parsing never takes more than one core, however
    // many feeds arrive at once (storing, beside it, mostly waits on the
    // database).
    let parsing = Arc::new(tokio::sync::Semaphore::new(1));
    let started = std::time::Instant::now();
    loop {
        // A long pass moves its clock on: each batch is claimed (and leased)
        // from the time it is claimed, not from when the pass began.
        let now = now + started.elapsed().as_secs() as i64;
        let due = storage::claim_due(db, now, CLAIM_BATCH).await?;
        if due.is_empty() {
            break;
        }
        // Each fetch of the batch is a task of its own, parsed as it arrives
        // and stored as soon as it is parsed, so that parsing one feed and
        // storing another overlap. Tasks, not futures polled from here: a
        // fetch left unpolled while a long store runs would run out its
        // deadline with its bytes already there.
        let mut fetched = tokio::task::JoinSet::new();
        for feed in due {
            let (client, parsing, persons) = (client.clone(), parsing.clone(), persons.clone());
            fetched.spawn(async move {
                let outcome = client::fetch(&client, feed.address(), now).await;
                let outcome = parser::parsed(outcome, &parsing).await;
                let outcome = processor::matched(outcome, &persons, feed.default_person_id);
                (feed, outcome)
            });
        }
        while let Some(joined) = fetched.join_next().await {
            let (feed, outcome) = match joined {
                Ok(done) => done,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                // Cancelled: cannot happen (only dropping the set aborts its
                // tasks); were it to, the lease frees the feed.
                Err(_) => continue,
            };
            report.feeds += 1;
            storage::store_outcome(db, &feed, outcome, now, &mut report).await?;
        }
    }
    Ok(report)
}
