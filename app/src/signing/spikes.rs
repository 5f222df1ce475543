//! The report of floods (`server report spikes`): client addresses and email
//! domains with bursts of signature requests, for an operator to look at.
use super::store::SignError;
use crate::on_pool;
use crate::server::db::Db;

/// What a burst came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpikeSource {
    Address,
    EmailDomain,
}

/// Many signature requests from one client address, or one email domain,
/// within one time bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spike {
    pub source: SpikeSource,
    pub key: String,
    /// Unix seconds.
    pub bucket_start: i64,
    pub requests: u64,
    /// How many of them were confirmed: floods rarely are.
    pub confirmed: u64,
    /// Every request in the bucket, all sources together.
    pub bucket_total: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct SpikeRules {
    pub since: i64,
    pub bucket_seconds: i64,
    /// An address is listed from this many requests in one bucket.
    pub min_per_address: u64,
    /// A domain is listed from this many requests in one bucket, when it
    /// is also more than `min_domain_share` of the bucket: a big mail
    /// provider is busy whenever the site is.
    pub min_per_domain: u64,
    pub min_domain_share: f64,
}

/// Lists the bursts since `rules.since`, biggest first.
pub async fn spikes(db: &Db, rules: SpikeRules) -> Result<Vec<Spike>, SignError> {
    let rows: Vec<(i64, Option<String>, Option<String>, String)> =
        on_pool!(db, |pool| sqlx::query_as(
            "SELECT created_at, client_ip, email_sealed, state FROM signatures
          WHERE created_at >= $1 AND NOT anonymised"
        )
        .bind(rules.since)
        .fetch_all(pool)
        .await)?;
    let bucket_of = |t: i64| t - t.rem_euclid(rules.bucket_seconds.max(1));
    let mut totals = std::collections::HashMap::<i64, u64>::new();
    let mut groups = std::collections::HashMap::<(SpikeSource, String, i64), (u64, u64)>::new();
    for (created_at, ip, email, state) in rows {
        use crate::server::data_key::purpose;
        let ip = crate::server::data_key::opened_optional(purpose::SIGNATURE_CLIENT_IP, ip)?;
        let email = crate::server::data_key::opened_optional(purpose::SIGNATURE_EMAIL, email)?;
        let bucket = bucket_of(created_at);
        *totals.entry(bucket).or_default() += 1;
        let confirmed = u64::from(state == "confirmed");
        let domain = email
            .as_deref()
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d.to_owned());
        for (source, key) in [
            (SpikeSource::Address, ip),
            (SpikeSource::EmailDomain, domain),
        ] {
            if let Some(key) = key {
                let entry = groups.entry((source, key, bucket)).or_default();
                entry.0 += 1;
                entry.1 += confirmed;
            }
        }
    }
    let mut spikes: Vec<Spike> = groups
        .into_iter()
        .filter_map(|((source, key, bucket_start), (requests, confirmed))| {
            let bucket_total = totals.get(&bucket_start).copied().unwrap_or(requests);
            let listed = match source {
                SpikeSource::Address => requests >= rules.min_per_address,
                SpikeSource::EmailDomain => {
                    requests >= rules.min_per_domain
                        && requests as f64 > rules.min_domain_share * bucket_total as f64
                }
            };
            listed.then_some(Spike {
                source,
                key,
                bucket_start,
                requests,
                confirmed,
                bucket_total,
            })
        })
        .collect();
    spikes.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then(a.bucket_start.cmp(&b.bucket_start))
            .then(a.source.cmp(&b.source))
            .then(a.key.cmp(&b.key))
    });
    Ok(spikes)
}
