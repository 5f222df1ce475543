//! Signing a support action, at the data layer, on both backends: exactly
//! once per canonical address, mail written with the signature, honest counts.
use crate::helpers::{signature_request as request, TestStore};
use crate::on_both_backends;
use app::api::actions::on_server as actions;
use app::campaigns::actions::on_server::close;
use app::domain::{CountryCode, Slug};
use app::on_pool;
use app::server::audit::Actor;
use app::signing::{
    retention, spikes, store as signatures, SignOutcome, SignatureRequest, TokenOutcome,
};

const ACTION: &str = "solidarity-with-vahid-afkari";
const NOW: i64 = 1_800_000_000;
/// Where the links in mails point.
const BASE: &str = "http://127.0.0.1:3000";

async fn confirmed(store: &TestStore) -> i64 {
    actions::detail(
        &store.db,
        &Slug::parse(ACTION).unwrap(),
        app::i18n::Locale::En,
    )
    .await
    .unwrap()
    .unwrap()
    .confirmed
}

use crate::helpers::Mail;

async fn outbox(store: &TestStore) -> Vec<Mail> {
    store.mails().await
}

/// The token a mail carries, as the signer's click would send it.
fn token_in(mail: &Mail) -> String {
    let start = mail.body_text.find("confirm?token=").unwrap() + "confirm?token=".len();
    mail.body_text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

on_both_backends! {
    /// Confirmations written together (group commit): each outcome is what
    /// it would be alone, the same link twice in one batch counts once.
    async fn confirmations_written_together_count_as_each_alone(store: &TestStore) {
        for email in ["one@example.org", "two@example.org"] {
            signatures::sign(&store.db, &request(email), BASE, NOW).await.unwrap();
        }
        let tokens: Vec<String> = outbox(store).await.iter().map(token_in).collect();
        assert_eq!(tokens.len(), 2);
        let batch = [tokens[0].clone(), tokens[0].clone(), "not-a-token".to_owned(), tokens[1].clone()];
        let outcomes: Vec<TokenOutcome> = signatures::confirm_batch(&store.db, &batch, BASE, NOW + 60)
            .await
            .unwrap()
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(outcomes, [TokenOutcome::Done, TokenOutcome::AlreadyDone, TokenOutcome::UnknownToken, TokenOutcome::Done]);
        assert_eq!(confirmed(store).await, 2);
    }

    async fn sign_confirm_withdraw(store: &TestStore) {
        let base = "http://127.0.0.1:3000";
        assert_eq!(signatures::sign(&store.db, &request("Name+x@Example.org"), base, NOW).await.unwrap(), SignOutcome::MailQueued);
        let mails = outbox(store).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].recipient, "Name+x@Example.org", "mail goes where the signer typed");
        assert!(mails[0].subject.starts_with("Veuillez confirmer"), "{}", mails[0].subject);
        assert_eq!(confirmed(store).await, 0, "pending signatures do not count");

        // The same person again, other spelling, at once: same answer, no second mail.
        assert_eq!(signatures::sign(&store.db, &request("name@example.org"), base, NOW + 5).await.unwrap(), SignOutcome::Throttled);
        assert_eq!(outbox(store).await.len(), 1);

        let token = token_in(&mails[0]);
        // Only the hash is stored.
        let stored: i64 = on_pool!(&store.db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM signatures WHERE token_hash = $1")
            .bind(&token)
            .fetch_one(pool)
            .await)
        .unwrap();
        assert_eq!(stored, 0);

        assert_eq!(signatures::confirm(&store.db, &token, BASE, NOW + 60).await.unwrap(), TokenOutcome::Done);
        assert_eq!(confirmed(store).await, 1);
        assert_eq!(signatures::confirm(&store.db, &token, BASE, NOW + 61).await.unwrap(), TokenOutcome::AlreadyDone);
        assert_eq!(confirmed(store).await, 1, "confirming twice counts once");
        assert_eq!(signatures::sign(&store.db, &request("NAME@example.org"), base, NOW + 3600).await.unwrap(), SignOutcome::AlreadyConfirmed);
        assert_eq!(confirmed(store).await, 1);

        assert_eq!(signatures::withdraw(&store.db, &token).await.unwrap(), TokenOutcome::Done);
        assert_eq!(confirmed(store).await, 0);
        assert_eq!(signatures::withdraw(&store.db, &token).await.unwrap(), TokenOutcome::AlreadyDone);
        assert_eq!(signatures::confirm(&store.db, &token, BASE, NOW + 90).await.unwrap(), TokenOutcome::UnknownToken);
        assert_eq!(confirmed(store).await, 0, "a withdrawn link does not confirm again");

        assert_eq!(signatures::confirm(&store.db, "not-a-token", BASE, NOW).await.unwrap(), TokenOutcome::UnknownToken);
        assert_eq!(signatures::withdraw(&store.db, "not-a-token").await.unwrap(), TokenOutcome::UnknownToken);
    }

    async fn a_pending_signer_asking_later_gets_a_new_link_and_the_old_one_dies(store: &TestStore) {
        let base = "http://h";
        signatures::sign(&store.db, &request("a@example.org"), base, NOW).await.unwrap();
        let later = NOW + signatures::RESEND_AFTER_SECONDS;
        assert_eq!(signatures::sign(&store.db, &request("A@Example.org"), base, later).await.unwrap(), SignOutcome::MailQueued);
        let mails = outbox(store).await;
        assert_eq!(mails.len(), 2);
        let (old, new) = (token_in(&mails[0]), token_in(&mails[1]));
        assert_ne!(old, new);
        assert_eq!(signatures::confirm(&store.db, &old, BASE, later).await.unwrap(), TokenOutcome::UnknownToken);
        assert_eq!(signatures::confirm(&store.db, &new, BASE, later).await.unwrap(), TokenOutcome::Done);
        assert_eq!(confirmed(store).await, 1);
    }

    async fn closed_actions_and_unknown_countries_change_nothing(store: &TestStore) {
        let base = "http://h";
        let mut bad_country = request("b@example.org");
        bad_country.country = Some(CountryCode::parse("XX").unwrap());
        assert!(matches!(
            signatures::sign(&store.db, &bad_country, base, NOW).await,
            Err(signatures::SignError::UnknownCountry(_))
        ));
        let mut unknown = request("b@example.org");
        unknown.action = Slug::parse("no-such-action").unwrap();
        assert!(matches!(signatures::sign(&store.db, &unknown, base, NOW).await, Err(signatures::SignError::UnknownAction(_))));
        assert!(outbox(store).await.is_empty(), "a refused request writes no mail");

        signatures::sign(&store.db, &request("c@example.org"), base, NOW).await.unwrap();
        let token = token_in(&outbox(store).await[0]);
        close(&store.db, Actor::Cli, &Slug::parse(ACTION).unwrap()).await.unwrap();
        assert!(matches!(signatures::sign(&store.db, &request("d@example.org"), base, NOW).await, Err(signatures::SignError::ActionNotOpen)));
        assert_eq!(signatures::confirm(&store.db, &token, BASE, NOW).await.unwrap(), TokenOutcome::ActionClosed);
        assert_eq!(confirmed(store).await, 0);
        assert_eq!(outbox(store).await.len(), 1);
    }

    async fn many_distinct_signers_each_count_once(store: &TestStore) {
        let base = "http://h";
        let mut tasks = Vec::new();
        for i in 0..40 {
            let db = store.db.clone();
            tasks.push(tokio::spawn(async move {
                // Every address twice, concurrently: the unique key keeps one.
                let email = format!("signer{}@example.org", i % 20);
                signatures::sign(&db, &request(&email), base, NOW).await.unwrap()
            }));
        }
        let mut queued = 0;
        for t in tasks {
            if t.await.unwrap() == SignOutcome::MailQueued {
                queued += 1;
            }
        }
        assert_eq!(queued, 20, "one mail per distinct signer");
        let mails = outbox(store).await;
        assert_eq!(mails.len(), 20);
        for mail in &mails {
            assert_eq!(signatures::confirm(&store.db, &token_in(mail), BASE, NOW + 1).await.unwrap(), TokenOutcome::Done);
        }
        assert_eq!(confirmed(store).await, 20);
    }
}

on_both_backends! {
    async fn the_outbox_delivers_each_mail_once_and_backs_off_on_failure(store: &TestStore) {
        use app::server::outbox::{try_execute_task, ExecutionOutcome, Mailer};
        let dir = std::env::temp_dir().join(format!("lumieres-outbox-{}", uuid::Uuid::new_v4().simple()));
        let files = Mailer::Files { dir: dir.clone() };
        signatures::sign(&store.db, &request("first@example.org"), "http://h", NOW).await.unwrap();
        signatures::sign(&store.db, &request("second@example.org"), "http://h", NOW).await.unwrap();

        let first = try_execute_task(&store.db, &files, NOW).await.unwrap();
        let ExecutionOutcome::Delivered { id } = first else { panic!("{first:?}") };
        let written = std::fs::read_to_string(dir.join(format!("{id:08}.eml"))).unwrap();
        assert!(written.starts_with("To: first@example.org\r\nSubject: Veuillez confirmer"), "{written}");
        assert!(written.contains("http://h/fr/signatures/confirm?token="));
        assert!(matches!(try_execute_task(&store.db, &files, NOW).await.unwrap(), ExecutionOutcome::Delivered { .. }));
        assert_eq!(try_execute_task(&store.db, &files, NOW + 10_000).await.unwrap(), ExecutionOutcome::EmptyQueue, "sent mail is never sent again");

        // A mailer that cannot deliver: the mail waits, then is tried again.
        signatures::sign(&store.db, &request("third@example.org"), "http://h", NOW).await.unwrap();
        let blocked = dir.join("00000001.eml");
        let broken = Mailer::Files { dir: blocked };
        let failed = try_execute_task(&store.db, &broken, NOW).await.unwrap();
        let ExecutionOutcome::Failed { id, retry_at } = failed else { panic!("{failed:?}") };
        assert_eq!(retry_at, NOW + 60);
        assert_eq!(try_execute_task(&store.db, &files, NOW + 59).await.unwrap(), ExecutionOutcome::EmptyQueue);
        assert_eq!(try_execute_task(&store.db, &files, NOW + 60).await.unwrap(), ExecutionOutcome::Delivered { id });
        std::fs::remove_dir_all(dir).unwrap();
    }
}

on_both_backends! {
    async fn the_running_server_delivers_queued_mail(app: &crate::helpers::TestApp) {
        signatures::sign(&app.store.db, &request("reader@example.org"), "http://h", app::server::clock::now())
            .await
            .unwrap();
        let dir = app.outbox_dir();
        for _ in 0..100 {
            if let Some(entry) = std::fs::read_dir(&dir).ok().and_then(|mut d| d.next()) {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                assert!(text.starts_with("To: reader@example.org"));
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail written to {} within 5 s", dir.display());
    }
}

on_both_backends! {
    async fn signatures_of_long_closed_actions_are_anonymised_and_still_count(store: &TestStore) {
        let base = "http://127.0.0.1:3000";
        signatures::sign(&store.db, &request("amelie@example.org"), base, NOW).await.unwrap();
        let token = token_in(&outbox(store).await[0]);
        signatures::confirm(&store.db, &token, BASE, NOW + 60).await.unwrap();
        close(&store.db, Actor::Cli, &Slug::parse(ACTION).unwrap()).await.unwrap();
        let closed_at: i64 = on_pool!(&store.db, |pool| sqlx::query_scalar(
            "SELECT closed_at FROM support_actions WHERE slug = $1"
        )
        .bind(ACTION)
        .fetch_one(pool)
        .await)
        .unwrap();

        let day = 86_400;
        let early = retention::apply_retention(&store.db, 180, closed_at + 179 * day).await.unwrap();
        assert_eq!(early.anonymised, 0, "not before the retention period ends");
        let done = retention::apply_retention(&store.db, 180, closed_at + 181 * day).await.unwrap();
        assert_eq!(done.anonymised, 1);
        assert_eq!(done.mails_forgotten, 0, "the mail was never sent");
        let row: (String, String, Option<String>, Option<String>, Option<String>, String) = on_pool!(&store.db, |pool| sqlx::query_as(
            "SELECT name, email_hash, email_sealed, place, client_ip, state FROM signatures"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        assert_eq!(row.0, "");
        assert!(row.1.starts_with("anonymised:"), "{}", row.1);
        assert_eq!((row.2, row.3, row.4, row.5.as_str()), (None, None, None, "confirmed"));
        assert_eq!(confirmed(store).await, 1, "the count is kept");
        assert_eq!(signatures::confirm(&store.db, &token, BASE, NOW).await.unwrap(), TokenOutcome::UnknownToken, "the old link is dead");
        let again = retention::apply_retention(&store.db, 180, closed_at + 400 * day).await.unwrap();
        assert_eq!(again.anonymised, 0, "a pass changes each signature once");
    }
}

on_both_backends! {
    async fn bursts_from_one_address_or_domain_are_reported(store: &TestStore) {
        use spikes::{SpikeRules, SpikeSource};
        let base = "http://127.0.0.1:3000";
        for n in 0..25 {
            let mut flood = request(&format!("user{n}@flood.example"));
            flood.client_ip = Some("203.0.113.7".parse().unwrap());
            signatures::sign(&store.db, &flood, base, NOW + n).await.unwrap();
        }
        for n in 0..5 {
            let mut person = request(&format!("person{n}@mail.example"));
            person.client_ip = Some(format!("198.51.100.{n}").parse().unwrap());
            signatures::sign(&store.db, &person, base, NOW + 30 + n).await.unwrap();
        }
        let rules = SpikeRules {
            since: NOW - 3600,
            bucket_seconds: 600,
            min_per_address: 20,
            min_per_domain: 20,
            min_domain_share: 0.3,
        };
        let found = spikes::spikes(&store.db, rules).await.unwrap();
        let listed: Vec<_> = found.iter().map(|s| (s.source, s.key.as_str(), s.requests, s.confirmed)).collect();
        assert_eq!(
            listed,
            [
                (SpikeSource::Address, "203.0.113.7", 25, 0),
                (SpikeSource::EmailDomain, "flood.example", 25, 0),
            ]
        );
        assert!(found.iter().all(|s| s.bucket_total == 30));
        let later = SpikeRules { since: NOW + 3600, ..rules };
        assert!(spikes::spikes(&store.db, later).await.unwrap().is_empty(), "only the window asked for");
    }
}

/// Signs, and confirms when `confirm`; returns the token of the mail.
pub(crate) async fn sign_as(
    store: &TestStore,
    request: SignatureRequest,
    at: i64,
    confirm: bool,
) -> String {
    let email = request.email.as_str().to_owned();
    signatures::sign(&store.db, &request, "http://h", at)
        .await
        .unwrap();
    let mails = outbox(store).await;
    let mail = mails.iter().rev().find(|m| m.recipient == email).unwrap();
    let token = token_in(mail);
    if confirm {
        assert_eq!(
            signatures::confirm(&store.db, &token, BASE, at + 60)
                .await
                .unwrap(),
            TokenOutcome::Done
        );
    }
    token
}

/// (email, state, address) of every signature not anonymised.
async fn personal(store: &TestStore) -> Vec<(String, String, Option<String>)> {
    let mut rows: Vec<_> = crate::helpers::stored_signers(&store.db)
        .await
        .into_iter()
        .map(|s| (s.email.unwrap_or_default(), s.state, s.client_ip))
        .collect();
    rows.sort();
    rows
}

on_both_backends! {
    async fn personal_data_is_forgotten_on_time(store: &TestStore) {
        let day = 86_400;
        sign_as(store, request("pending@example.org"), NOW, false).await;
        sign_as(store, request("kept@example.org"), NOW, true).await;
        let withdrawn = sign_as(store, request("withdrawn@example.org"), NOW, true).await;
        assert_eq!(signatures::withdraw(&store.db, &withdrawn).await.unwrap(), TokenOutcome::Done);
        // Mail that was never delivered: the three confirmation mails.
        let early = retention::apply_retention(&store.db, 180, NOW + 6 * day).await.unwrap();
        assert_eq!(early, retention::Retention::default(), "nothing is due within a week");

        let week = retention::apply_retention(&store.db, 180, NOW + 8 * day).await.unwrap();
        assert_eq!(week.unconfirmed_deleted, 1, "a signature never confirmed goes after 7 days");
        assert_eq!(week.anonymised, 1, "a withdrawn one is anonymised after 7 days");
        assert_eq!(week.mails_given_up, 3, "undeliverable mail is given up after 7 days of tries");
        assert_eq!(outbox(store).await.len(), 0);
        assert_eq!(
            personal(store).await,
            [("kept@example.org".to_owned(), "confirmed".to_owned(), Some("192.0.2.1".to_owned()))]
        );
        let month = retention::apply_retention(&store.db, 180, NOW + 31 * day).await.unwrap();
        assert_eq!(month.addresses_erased, 1, "network addresses go after 30 days");
        assert_eq!(personal(store).await[0].2, None);
        assert_eq!(confirmed(store).await, 1, "the count stays");

        // An action that is never closed keeps a signature at most two years.
        assert_eq!(retention::apply_retention(&store.db, 180, NOW + 700 * day).await.unwrap().anonymised, 0);
        assert_eq!(retention::apply_retention(&store.db, 180, NOW + 731 * day).await.unwrap().anonymised, 1);
        assert!(personal(store).await.is_empty());
        assert_eq!(confirmed(store).await, 1);
    }

    async fn reopening_an_action_does_not_restart_the_clock_of_older_signatures(store: &TestStore) {
        let day = 86_400;
        sign_as(store, request("before@example.org"), NOW, true).await;
        // Closed a day later, then reopened; one more signs after the reopening.
        close(&store.db, Actor::Cli, &Slug::parse(ACTION).unwrap()).await.unwrap();
        on_pool!(&store.db, |pool| sqlx::query(
            "UPDATE support_actions SET first_closed_at = $2, closed_at = $2 WHERE slug = $1"
        ).bind(ACTION).bind(NOW + day).execute(pool).await.map(|_| ())).unwrap();
        let action: i64 = on_pool!(&store.db, |pool| sqlx::query_scalar("SELECT id FROM support_actions WHERE slug = $1")
            .bind(ACTION).fetch_one(pool).await).unwrap();
        app::campaigns::actions::on_server::set_open_state(&store.db, Actor::Cli, action, true).await.unwrap();
        let (closed_at, first): (Option<i64>, Option<i64>) = on_pool!(&store.db, |pool| sqlx::query_as(
            "SELECT closed_at, first_closed_at FROM support_actions WHERE id = $1"
        ).bind(action).fetch_one(pool).await).unwrap();
        assert_eq!((closed_at, first), (None, Some(NOW + day)), "reopening keeps the first closing");
        sign_as(store, request("after@example.org"), NOW + 2 * day, true).await;

        let before_due = retention::apply_retention(&store.db, 180, NOW + 180 * day).await.unwrap();
        assert_eq!(before_due.anonymised, 0);
        let due = retention::apply_retention(&store.db, 180, NOW + 182 * day).await.unwrap();
        assert_eq!(due.anonymised, 1, "the signature made before the first closing");
        let left: Vec<String> = personal(store).await.into_iter().map(|(email, _, _)| email).collect();
        assert_eq!(left, ["after@example.org"], "made after the reopening: kept while the action is open");
        assert_eq!(confirmed(store).await, 2);
    }
}

on_both_backends! {
    /// One batch (group commit) holding every case: new addresses, one
    /// address twice, an address already confirmed, one pending long enough
    /// to be mailed again, and a closed action. Each gets what it would
    /// alone, in order, with one mail per new or renewed signature.
    async fn a_batch_gives_each_request_what_it_would_get_alone(store: &TestStore) {
        let base = "http://h";
        signatures::sign(&store.db, &request("confirmed@example.org"), base, NOW).await.unwrap();
        let token = token_in(&outbox(store).await[0]);
        signatures::confirm(&store.db, &token, BASE, NOW + 1).await.unwrap();
        signatures::sign(&store.db, &request("waited@example.org"), base, NOW).await.unwrap();
        let later = NOW + signatures::RESEND_AFTER_SECONDS + 1;
        let mut closed = request("elsewhere@example.org");
        closed.action = Slug::parse("no-such-action").unwrap();
        let batch = [
            request("new@example.org"),
            request("twice@example.org"),
            request("confirmed@example.org"),
            request("twice@example.org"),
            closed,
            request("waited@example.org"),
        ];
        let outcomes = signatures::sign_batch(&store.db, &batch, base, later).await.unwrap();
        let outcomes: Vec<String> = outcomes.iter().map(|o| format!("{o:?}")).collect();
        assert_eq!(
            outcomes,
            [
                "Ok(MailQueued)",
                "Ok(MailQueued)",
                "Ok(AlreadyConfirmed)",
                "Ok(Throttled)",
                "Err(UnknownAction(\"no-such-action\"))",
                "Ok(MailQueued)",
            ]
        );
        let mails: Vec<String> = on_pool!(&store.db, |pool| sqlx::query_scalar(
            "SELECT recipient FROM outbox WHERE created_at = $1 ORDER BY id"
        )
        .bind(later)
        .fetch_all(pool)
        .await)
        .unwrap()
        .into_iter()
        .map(|sealed: String| crate::helpers::test_data_key().open("outbox.recipient", &sealed).unwrap())
        .collect();
        assert_eq!(mails, ["new@example.org", "twice@example.org", "waited@example.org"]);
        let all = outbox(store).await;
        let renewed = token_in(all.last().unwrap());
        assert_eq!(signatures::confirm(&store.db, &renewed, BASE, later + 1).await.unwrap(), TokenOutcome::Done, "the renewed link works");
        let hashes: Vec<String> = ["new@example.org", "twice@example.org", "confirmed@example.org", "waited@example.org"]
            .map(crate::helpers::email_hash)
            .to_vec();
        let rows: i64 = on_pool!(&store.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM signatures WHERE email_hash IN ($1, $2, $3, $4)"
        )
        .bind(&hashes[0]).bind(&hashes[1]).bind(&hashes[2]).bind(&hashes[3])
        .fetch_one(pool)
        .await)
        .unwrap();
        assert_eq!(rows, 4, "new, twice, confirmed, waited");
    }
}
