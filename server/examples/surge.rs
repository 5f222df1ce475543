//! The surge benchmark's load generator and checker, run from its own
//! process by `end2end/bench/surge.sh`.
//!
//! `surge load URL ACTION SECONDS CONCURRENCY ACKED_FILE` posts distinct
//! signatures as the signing island does, while four readers fetch a person
//! page about twenty times a second each; it prints accepted signatures per second with p50/p99 latency and
//! writes every acknowledged address to ACKED_FILE.
//!
//! `surge verify DATABASE_URL ACKED_FILE` checks that every acknowledged
//! address is stored exactly once.
//!
//! `SURGE_SOURCES=N` spreads the signers over N loopback addresses
//! (127.0.0.1 …): a load balancer that keeps one client address on one
//! instance then shares the load among its instances.
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["load", url, action, seconds, concurrency, acked] => {
            load(
                url,
                action,
                seconds.parse().expect("SECONDS"),
                concurrency.parse().expect("CONCURRENCY"),
                acked,
            )
            .await
        }
        ["verify", database_url, acked] => verify(database_url, acked).await,
        _ => {
            eprintln!(
                "usage: surge load URL ACTION SECONDS CONCURRENCY ACKED_FILE | surge verify DATABASE_URL ACKED_FILE"
            );
            std::process::exit(2);
        }
    }
}

#[derive(Default)]
struct Tally {
    accepted: Vec<String>,
    latencies: Vec<Duration>,
    refused: u64,
    failed: u64,
    /// When, since the start, the first and the last failure came.
    failing: Option<(Duration, Duration)>,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

async fn load(url: &str, action: &str, seconds: u64, concurrency: usize, acked: &str) {
    // reqwest is built with `rustls-no-provider`: this installs the ring provider.
    let _ = app::feeds::sync::client(app::feeds::sync::Reach::PrivateToo);
    let client_from = |address: Option<std::net::IpAddr>| {
        reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .timeout(Duration::from_secs(10))
            .local_address(address)
            .build()
            .unwrap()
    };
    let clients: Vec<reqwest::Client> = match std::env::var("SURGE_SOURCES")
        .ok()
        .and_then(|n| n.parse::<u8>().ok())
    {
        Some(sources) if sources > 0 => (1..=sources)
            .map(|last| client_from(Some(std::net::IpAddr::from([127, 0, 0, last]))))
            .collect(),
        _ => vec![client_from(None)],
    };
    let client = clients[0].clone();
    let stop = Arc::new(AtomicBool::new(false));
    let run = std::process::id();
    let started = Instant::now();
    let mut signers = Vec::new();
    for worker in 0..concurrency {
        let client = clients[worker % clients.len()].clone();
        let stop = stop.clone();
        let (url, action) = (url.to_owned(), action.to_owned());
        signers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let email = format!("surge-{run}-{worker}-{n}@example.org");
                let body = format!(
                    "support_action={action}&lang=en&full_name=Surge+Signer+{worker}&email={email}\
                     &place=1000&country=BE&consent=on&website="
                );
                let sent = Instant::now();
                let answer = client
                    .post(format!("{url}/api/sign"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("accept", "application/json")
                    .header("origin", url.as_str())
                    .body(body)
                    .send()
                    .await;
                let status = match answer {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let text = response.text().await.unwrap_or_default();
                        (status, text)
                    }
                    Err(_) => (0, String::new()),
                };
                match status {
                    (200, text) if text == "\"Accepted\"" => {
                        tally.latencies.push(sent.elapsed());
                        tally.accepted.push(email);
                    }
                    (429, _) => tally.refused += 1,
                    _ => {
                        tally.failed += 1;
                        let at = started.elapsed();
                        let first = tally.failing.map_or(at, |(first, _)| first);
                        tally.failing = Some((first, at));
                        // The server may be down (the kill -9 run): do not spin.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            tally
        }));
    }
    // Readers: the person page must keep serving during the surge.
    let mut readers = Vec::new();
    for _ in 0..4 {
        let (client, stop, url) = (client.clone(), stop.clone(), url.to_owned());
        readers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                let served = match client
                    .get(format!("{url}/persons/vahid-afkari"))
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                match served {
                    true => latencies.push(sent.elapsed()),
                    false => failed += 1,
                }
                // Visitors, not a second load test: each reader asks about
                // twenty times a second, and measures how fast it is served.
                tokio::time::sleep(Duration::from_millis(50).saturating_sub(sent.elapsed())).await;
            }
            (latencies, failed)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = Tally::default();
    for signer in signers {
        let tally = signer.await.unwrap();
        total.accepted.extend(tally.accepted);
        total.latencies.extend(tally.latencies);
        total.refused += tally.refused;
        total.failed += tally.failed;
        total.failing = match (total.failing, tally.failing) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (one, other) => one.or(other),
        };
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut page_latencies = Vec::new();
    let mut page_failed = 0;
    for reader in readers {
        let (latencies, failed) = reader.await.unwrap();
        page_latencies.extend(latencies);
        page_failed += failed;
    }
    total.latencies.sort();
    page_latencies.sort();
    let mut file = std::fs::File::create(acked).expect("ACKED_FILE");
    for email in &total.accepted {
        writeln!(file, "{email}").unwrap();
    }
    println!(
        "signatures: {} accepted in {elapsed:.1} s = {:.0}/s; p50 {:.1} ms, p99 {:.1} ms; {} refused (429), {} failed",
        total.accepted.len(),
        total.accepted.len() as f64 / elapsed,
        percentile(&total.latencies, 0.50),
        percentile(&total.latencies, 0.99),
        total.refused,
        total.failed,
    );
    if let Some((first, last)) = total.failing {
        println!(
            "failures from {:.2} s to {:.2} s after the start ({:.2} s)",
            first.as_secs_f64(),
            last.as_secs_f64(),
            (last - first).as_secs_f64()
        );
    }
    println!(
        "person page meanwhile: {} served = {:.0}/s; p50 {:.1} ms, p99 {:.1} ms; {} failed",
        page_latencies.len(),
        page_latencies.len() as f64 / elapsed,
        percentile(&page_latencies, 0.50),
        percentile(&page_latencies, 0.99),
        page_failed,
    );
}

async fn verify(database_url: &str, acked: &str) {
    let acked = std::fs::read_to_string(acked).expect("ACKED_FILE");
    let acked: Vec<&str> = acked.lines().filter(|l| !l.is_empty()).collect();
    let db = app::server::db::Db::connect(database_url, 2)
        .await
        .expect("database");
    // The addresses are sealed (issue 30): opened with the run's key, as
    // the server sealed them.
    let key = std::env::var("DATA_KEY").expect("DATA_KEY, as the server was given (common.sh)");
    let key = app::server::data_key::DataKey::parse(&key).expect("DATA_KEY");
    app::server::data_key::install(key).expect("the key");
    let sealed: Vec<String> = app::on_pool!(&db, |pool| sqlx::query_scalar(
        "SELECT email_sealed FROM signatures WHERE email_sealed IS NOT NULL"
    )
    .fetch_all(pool)
    .await)
    .expect("query");
    let stored: Vec<String> = sealed
        .iter()
        .map(|value| {
            app::server::data_key::opened(
                app::server::data_key::purpose::SIGNATURE_EMAIL,
                value.clone(),
            )
            .expect("sealed with DATA_KEY")
        })
        .filter(|email| email.starts_with("surge-"))
        .collect();
    // Every mail of the run is a confirmation (the demo queues none).
    let mails: i64 = app::on_pool!(&db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox"
    )
    .fetch_one(pool)
    .await)
    .expect("query");
    db.close().await;
    let mut counts = std::collections::HashMap::<&str, u32>::new();
    for email in &stored {
        *counts.entry(email.as_str()).or_default() += 1;
    }
    let missing = acked.iter().filter(|e| !counts.contains_key(*e)).count();
    let doubled = counts.values().filter(|&&n| n > 1).count();
    println!(
        "verify: {} acknowledged, {} stored ({} stored but never acknowledged: answers lost in flight), \
         {} mails queued; missing {missing}, stored twice {doubled}",
        acked.len(),
        stored.len(),
        stored.len().saturating_sub(acked.len() - missing),
        mails,
    );
    if missing > 0 || doubled > 0 {
        eprintln!("FAILED: an acknowledged signature is missing or doubled");
        std::process::exit(1);
    }
}
