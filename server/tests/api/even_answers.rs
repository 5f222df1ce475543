//! "Mail me a password link" and "sign" tell nobody, by the time they take,
//! whether the site knows an address (issue 28, N11/N12): fifty tries each
//! way, taken in turns so that whatever else the machine does falls on both,
//! and their medians compared as a ratio (`server::even`).
use crate::helpers::{staff_account, TestApp};
use crate::on_both_backends;
use app::domain::Role;
use std::time::{Duration, Instant};

const TRIES: usize = 50;
const ACTION: &str = "solidarity-with-vahid-afkari";

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The two medians, and whether they are alike: within a quarter of each
/// other. Before the answers were evened, a known address took two to ten
/// times as long as an unknown one.
fn alike(known: Vec<Duration>, unknown: Vec<Duration>) -> (Duration, Duration, bool) {
    let (known, unknown) = (median(known), median(unknown));
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    (known, unknown, (0.8..=1.25).contains(&ratio))
}

async fn timed<F: std::future::Future<Output = u16>>(request: F) -> Duration {
    let start = Instant::now();
    let status = request.await;
    assert_eq!(status, 302);
    start.elapsed()
}

on_both_backends! {
    async fn a_password_link_is_answered_as_soon_for_an_unknown_address(app: &TestApp) {
        staff_account(app, "known@brussels.example", "Known", Role::Comms, None).await;
        let ask = |email: String| async move {
            app.post_form("/api/password/forgot", "/staff/password/forgot", &[("email", &email), ("lang", "en")]).await.status
        };
        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        for i in 0..TRIES {
            // Each time a link is written and mailed, as for a first request.
            app::on_pool!(&app.store.db, |pool| sqlx::query("DELETE FROM password_links").execute(pool).await.map(|_| ())).unwrap();
            known.push(timed(ask("known@brussels.example".into())).await);
            unknown.push(timed(ask(format!("nobody-{i}@brussels.example"))).await);
        }
        assert_eq!(app.mails_to("known@brussels.example").await.len(), TRIES, "each known try mailed a link");
        let (known, unknown, alike) = alike(known, unknown);
        eprintln!("password link, median of {TRIES}: known {known:?}, unknown {unknown:?}");
        assert!(alike, "known {known:?} against unknown {unknown:?}");
    }

    async fn a_signature_is_answered_as_soon_for_an_address_that_signed_already(app: &TestApp) {
        let sign = |email: String| async move {
            app.post_form("/api/sign", &format!("/actions/{ACTION}"), &[
                ("support_action", ACTION), ("lang", "en"), ("full_name", "Amélie Dupont"),
                ("email", &email), ("place", "1000"), ("country", "BE"), ("consent", "on"),
                ("show_name", ""), ("keep_informed", ""), ("website", ""),
            ]).await.status
        };
        sign("signed@example.org".into()).await;
        app::on_pool!(&app.store.db, |pool| sqlx::query("UPDATE signatures SET state = 'confirmed', confirmed_at = 1").execute(pool).await.map(|_| ())).unwrap();
        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        for i in 0..TRIES {
            known.push(timed(sign("signed@example.org".into())).await);
            unknown.push(timed(sign(format!("new-{i}@example.org"))).await);
        }
        assert_eq!(app.mails().await.len(), TRIES + 1, "each new address was mailed, the known one not again");
        let (known, unknown, alike) = alike(known, unknown);
        eprintln!("signing, median of {TRIES}: signed already {known:?}, new {unknown:?}");
        assert!(alike, "signed already {known:?} against new {unknown:?}");
    }
}
