//! What came of the signatures (issue 16), over real HTTP on both backends:
//! a delivery recorded by the action's council closes it for good, is shown
//! on its page in every language and in the API, and is audited; paper
//! batches count with the confirmed signatures, audited; a threshold mails
//! the municipality's council once, however many confirm at once.
use crate::helpers::{count, post_as, staff_member, TestApp};
use crate::on_both_backends;
use app::domain::{CountryCode, Email, Line, PersonName, Role, Slug};
use app::i18n::Locale;
use app::on_pool;
use app::signing::{store as signatures, SignOutcome, SignatureRequest, TokenOutcome};

const ACTION: &str = "solidarity-with-vahid-afkari";
/// Where the links in mails point.
const BASE: &str = "http://127.0.0.1:3000";
const STAFF_PAGE: &str = "/staff/actions/solidarity-with-vahid-afkari";

fn request(email: &str) -> SignatureRequest {
    request_in(email, false, Locale::Fr)
}

fn request_in(email: &str, keep_informed: bool, locale: Locale) -> SignatureRequest {
    SignatureRequest {
        action: Slug::parse(ACTION).unwrap(),
        name: PersonName::parse("Amélie Dupont").unwrap(),
        email: Email::parse(email).unwrap(),
        place: Some(Line::parse("1000").unwrap()),
        country: Some(CountryCode::parse("BE").unwrap()),
        show_name: false,
        keep_informed,
        locale,
        client_ip: None,
    }
}

/// Signs as `email` and gives the token the confirmation mail carries.
async fn sign(app: &TestApp, email: &str) -> String {
    sign_with(app, &request(email)).await
}

async fn sign_with(app: &TestApp, request: &SignatureRequest) -> String {
    let email = request.email.as_str();
    let now = chrono::Utc::now().timestamp();
    let outcome = signatures::sign(&app.store.db, request, BASE, now).await;
    assert_eq!(outcome.unwrap(), SignOutcome::MailQueued);
    let mails = app.mails_to(email).await;
    let body = &mails.last().expect("a mail to the signer").body_text;
    let start = body.find("confirm?token=").unwrap() + "confirm?token=".len();
    body[start..].split_whitespace().next().unwrap().to_owned()
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

fn delivery<'a>(day: &'a str, recipient: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("lang", "en"),
        ("action", ACTION),
        ("delivered_on", day),
        ("recipient", recipient),
        ("method", "embassy"),
        ("language", "fr"),
        (
            "note_html",
            "<p>Remises en mains propres.<script>alert(1)</script></p>",
        ),
        ("proof_url", "https://example.org/remise"),
    ]
}

on_both_backends! {
    async fn a_delivered_action_takes_no_more_signatures_and_says_what_was_delivered(app: &TestApp) {
        let now = chrono::Utc::now().timestamp();
        for email in ["a@example.org", "b@example.org"] {
            let token = sign(app, email).await;
            assert_eq!(signatures::confirm(&app.store.db, &token, BASE, now).await.unwrap(), TokenOutcome::Done);
        }
        let pending = sign(app, "late@example.org").await;
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;

        // A delivery still to come, without a recipient: refused, next to each field, nothing changes.
        let refused = post_as(app, &council, "/api/staff/record-delivery", STAFF_PAGE, &delivery("2999-01-01", " ")).await;
        assert_eq!(refused.status, 302);
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(page.texts("#delivery-delivered_on-error"), ["This date is still to come: record a delivery once it happened."]);
        assert_eq!(page.texts("#delivery-recipient-error"), ["Fill in this field."]);
        assert_eq!(page.attr("#delivery-proof_url", "value").as_deref(), Some("https://example.org/remise"), "what was typed comes back");
        assert_eq!(count(app, "SELECT COUNT(*) FROM deliveries").await, 0);
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'delivery.%'").await, 0);

        // Another municipality's council may not record it.
        on_pool!(&app.store.db, |pool| sqlx::query("INSERT INTO municipalities (slug, name, country_code) VALUES ('liege', 'Liège', 'BE')").execute(pool).await.map(|_| ())).unwrap();
        let liege = staff_member(app, "jo@liege.example", Role::Council, Some("liege")).await;
        let day = today();
        let foreign = app.post_with("/api/staff/record-delivery", &delivery(&day, "Ambassade d’Iran"),
            &[("cookie", &liege), ("origin", &app.address)]).await;
        assert_eq!(foreign.status, 403);
        assert_eq!(count(app, "SELECT COUNT(*) FROM deliveries").await, 0);

        let recorded = post_as(app, &council, "/api/staff/record-delivery", STAFF_PAGE, &delivery(&day, "Ambassade d’Iran")).await;
        assert_eq!(recorded.location().as_deref(), Some(STAFF_PAGE));
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(page.texts(".notice"), ["The delivery is recorded; the action is closed for good."]);
        assert_eq!(page.texts(".delivery-record .delivered-count"), ["2"]);
        assert!(page.texts("button").iter().all(|b| b != "Reopen the action" && b != "Close the action"), "no reopening a delivered action");

        // The public page, in each language: the delivery, the final count, no form.
        let public = app.get(&format!("/actions/{ACTION}")).await;
        assert_eq!(public.attr("article.support-action", "data-availability").as_deref(), Some("delivered"));
        assert_eq!(public.texts("#progress-heading"), ["Final count"]);
        assert_eq!(public.texts(".action-closed"), ["Its signatures have been delivered: this action takes no more signatures."]);
        assert_eq!(public.texts(".delivery dd"), [&day_in_words(&day, Locale::En), "Ambassade d’Iran", "At the embassy", "2"]);
        assert_eq!(public.attr(".delivery dd:nth-of-type(2)", "lang").as_deref(), Some("fr"), "the recipient says its language");
        assert_eq!(public.texts(".delivery .untranslated"), ["Written in French."]);
        assert_eq!(public.attr(".delivery a", "href").as_deref(), Some("https://example.org/remise"));
        assert!(public.body.contains("<p>Remises en mains propres.</p>"), "the note, sanitized");
        assert!(!public.body.contains("alert(1)"));
        assert!(!public.body.contains("/api/sign"), "no signing form");
        let fr = app.get(&format!("/fr/actions/{ACTION}")).await;
        assert_eq!(fr.texts("#delivery-heading"), ["Signatures remises"]);
        assert_eq!(fr.texts(".delivery dt"), ["Remises le", "À", "Comment", "Signatures remises"]);
        assert!(fr.texts(".delivery .untranslated").is_empty(), "French on a French page");
        assert_eq!(fr.attr(".delivery dd:nth-of-type(2)", "lang"), None);
        let nl = app.get(&format!("/nl/actions/{ACTION}")).await;
        assert_eq!(nl.texts(".delivery dd:nth-of-type(3)"), ["Op de ambassade"]);
        assert_eq!(nl.texts(".action-closed"), ["De handtekeningen zijn overhandigd: deze actie neemt geen handtekeningen meer aan."]);

        // Neither a new signature nor a late confirmation gets in.
        let signed = signatures::sign(&app.store.db, &request("new@example.org"), BASE, now).await;
        assert!(matches!(signed, Err(signatures::SignError::ActionNotOpen)), "{signed:?}");
        assert_eq!(signatures::confirm(&app.store.db, &pending, BASE, now).await.unwrap(), TokenOutcome::ActionClosed);
        assert_eq!(count(app, "SELECT COUNT(*) FROM signatures WHERE state = 'confirmed'").await, 2);

        // Its paper batches stay as they were delivered.
        let late = app.post_with("/api/staff/save-paper-batch", &[("lang", "en"), ("action", ACTION), ("batch", ""),
            ("signatures", "10"), ("collected_on", day.as_str()), ("place", "Late"), ("kept_at", "Late")],
            &[("cookie", &council), ("origin", &app.address)]).await;
        assert_eq!(late.status, 400);
        assert_eq!(count(app, "SELECT COUNT(*) FROM paper_batches").await, 0);

        // The case's timeline and feed carry it, in each language.
        let case = app.get("/fr/persons/vahid-afkari").await;
        assert!(case.texts(".timeline-event h3").iter().any(|t| t.starts_with("Signatures remises : ")), "{:?}", case.texts(".timeline-event h3"));
        let feed = app.get("/nl/persons/vahid-afkari/feed.atom").await;
        assert!(feed.body.contains("Handtekeningen overhandigd: ") && feed.body.contains("2 handtekeningen van deze steunactie"), "{}", feed.body);

        // A script asking to reopen it is refused; it stays closed.
        let reopen = app.post_with("/api/staff/set-support-action-open", &[("lang", "en"), ("action", ACTION), ("open", "true")],
            &[("cookie", &council), ("origin", &app.address)]).await;
        assert_eq!(reopen.status, 400);
        assert_eq!(count(app, "SELECT COUNT(*) FROM support_actions WHERE slug = 'solidarity-with-vahid-afkari' AND is_open").await, 0);

        // The open data says so.
        let api = app.get(&format!("/api/v1/actions/{ACTION}?lang=nl")).await;
        let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert_eq!(json["state"], "delivered");
        assert_eq!(json["delivery"]["delivered_on"], day.as_str());
        assert_eq!(json["delivery"]["method"], "embassy");
        assert_eq!(json["delivery"]["recipient"], serde_json::json!({"text": "Ambassade d’Iran", "lang": "fr"}));
        assert_eq!(json["delivery"]["signatures"], 2);
        assert_eq!(json["delivery"]["proof_url"], "https://example.org/remise");

        // A signer withdrawing afterwards does not change what was delivered;
        // a correction changes what was written, and keeps the count.
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE signatures SET state = 'withdrawn' WHERE email_hash = $1").bind(crate::helpers::email_hash("a@example.org")).execute(pool).await.map(|_| ())).unwrap();
        let yesterday = (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string();
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE support_actions SET opens_on = '2026-01-01'").execute(pool).await.map(|_| ())).unwrap();
        let corrected = post_as(app, &council, "/api/staff/record-delivery", STAFF_PAGE, &delivery(&yesterday, "Ambassade de la République islamique d’Iran")).await;
        assert_eq!(corrected.location().as_deref(), Some(STAFF_PAGE));
        let public = app.get(&format!("/fr/actions/{ACTION}")).await;
        assert_eq!(public.texts(".delivery dd:nth-of-type(2)"), ["Ambassade de la République islamique d’Iran"]);
        assert_eq!(public.texts(".delivery .delivered-count"), ["2"]);

        let audited: Vec<String> = on_pool!(&app.store.db, |pool| sqlx::query_scalar(
            "SELECT action FROM audit_log WHERE record_type = 'support_action' ORDER BY id"
        )
        .fetch_all(pool)
        .await)
        .unwrap();
        assert_eq!(audited, ["delivery.record", "support_action.close", "delivery.correct"]);
        // The corrected day moved the event on the timeline too.
        let case = app.get("/persons/vahid-afkari").await;
        let event = case.texts(".timeline-event").into_iter().find(|t| t.contains("Signatures delivered")).unwrap();
        assert!(event.contains(&day_in_words(&yesterday, Locale::En)), "{event}");
    }
}

async fn audited(app: &TestApp, prefix: &str) -> Vec<String> {
    on_pool!(&app.store.db, |pool| sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE $1 ORDER BY id"
    )
    .bind(format!("{prefix}%"))
    .fetch_all(pool)
    .await)
    .unwrap()
}

fn batch<'a>(batch: &'a str, signatures: &'a str, day: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("lang", "en"),
        ("action", ACTION),
        ("batch", batch),
        ("signatures", signatures),
        ("collected_on", day),
        ("place", "Marché de Noël, Grand-Place"),
        ("kept_at", "Hôtel de Ville, bureau 2.14"),
    ]
}

on_both_backends! {
    async fn paper_batches_count_with_online_signatures_and_every_change_is_audited(app: &TestApp) {
        let now = chrono::Utc::now().timestamp();
        let token = sign(app, "a@example.org").await;
        signatures::confirm(&app.store.db, &token, BASE, now).await.unwrap();
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let day = today();

        // Bad batches change nothing and come back next to their fields.
        for (count, problem) in [("0", "Write a whole number from 1 to 1,000,000."), ("twelve", "Write a whole number from 1 to 1,000,000.")] {
            let refused = post_as(app, &council, "/api/staff/save-paper-batch", STAFF_PAGE, &batch("", count, &day)).await;
            assert_eq!(refused.status, 302);
            let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
            assert_eq!(page.texts("#paper-signatures-error"), [problem]);
        }
        let refused = post_as(app, &council, "/api/staff/save-paper-batch", STAFF_PAGE, &batch("", "12", "2999-01-01")).await;
        assert_eq!(refused.status, 302);
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(page.texts("#paper-collected_on-error"), ["This date is still to come: record a batch once it is collected."]);
        assert_eq!(count(app, "SELECT COUNT(*) FROM paper_batches").await, 0);
        assert!(audited(app, "paper_batch.").await.is_empty());

        let recorded = post_as(app, &council, "/api/staff/save-paper-batch", STAFF_PAGE, &batch("", "120", &day)).await;
        assert_eq!(recorded.location().as_deref(), Some(STAFF_PAGE));
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(page.texts(".notice"), ["The batch of paper signatures is recorded."]);
        assert_eq!(page.texts(".paper-totals"), ["1 confirmed online + 120 on paper = 121 in all."]);

        // The public count: online, on paper, and the total, in each language and in the API.
        let public = app.get(&format!("/actions/{ACTION}")).await;
        assert_eq!(public.texts(".signature-count"), ["121 of 1,000 signatures"]);
        assert_eq!(public.texts(".count-breakdown"), ["1 online and 120 on paper"]);
        assert!(!public.body.contains("bureau 2.14"), "where the sheets are kept is for staff");
        let nl = app.get(&format!("/nl/actions/{ACTION}")).await;
        assert_eq!(nl.texts(".count-breakdown"), ["1 online en 120 op papier"]);
        let api: serde_json::Value = serde_json::from_str(&app.get(&format!("/api/v1/actions/{ACTION}")).await.body).unwrap();
        assert_eq!((api["confirmed"].as_i64(), api["paper"].as_i64()), (Some(1), Some(120)));
        let live: serde_json::Value = serde_json::from_str(&app.get(&format!("/api/v1/actions/{ACTION}/count")).await.body).unwrap();
        assert_eq!(live["paper"], 120);
        // The count history shows both, on the day the sheets were collected.
        let history: serde_json::Value = serde_json::from_str(&app.get(&format!("/api/v1/actions/{ACTION}/history")).await.body).unwrap();
        let last = history["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["paper"].as_i64(), last["cumulative"].as_i64()), (Some(120), Some(121)), "{history}");
        assert!(last["start"].as_str().unwrap().starts_with(&day), "{history}");
        let csv = app.get("/data/signature-history.csv").await.body;
        assert!(csv.lines().any(|l| l == format!("{ACTION},{day},1,121,120")), "{csv}");

        // Corrected, then removed: the count follows, the audit log keeps both.
        let id: i64 = on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT id FROM paper_batches").fetch_one(pool).await).unwrap();
        let id = id.to_string();
        post_as(app, &council, "/api/staff/save-paper-batch", STAFF_PAGE, &batch(&id, "102", &day)).await;
        assert_eq!(count(app, "SELECT CAST(COALESCE(SUM(signatures), 0) AS BIGINT) FROM paper_batches").await, 102);
        // A batch of another action (Brussels' too) cannot be reached through this one.
        on_pool!(&app.store.db, |pool| sqlx::query(
            "INSERT INTO paper_batches (action_id, signatures, collected_on, place, kept_at, recorded_at)
             SELECT id, 7, opens_on, 'Elsewhere', 'Elsewhere', 0 FROM support_actions WHERE slug <> $1 LIMIT 1"
        ).bind(ACTION).execute(pool).await.map(|_| ())).unwrap();
        let foreign_batch: i64 = on_pool!(&app.store.db, |pool| sqlx::query_scalar(
            "SELECT b.id FROM paper_batches b JOIN support_actions a ON a.id = b.action_id WHERE a.slug <> $1"
        ).bind(ACTION).fetch_one(pool).await).unwrap();
        let foreign_batch = foreign_batch.to_string();
        let other = post_as(app, &council, "/api/staff/save-paper-batch", STAFF_PAGE, &batch(&foreign_batch, "5", &day)).await;
        assert_eq!(other.status, 404);
        assert_eq!(count(app, "SELECT COUNT(*) FROM paper_batches WHERE signatures = 7").await, 1, "left as it was");
        on_pool!(&app.store.db, |pool| sqlx::query("DELETE FROM paper_batches WHERE signatures = 7").execute(pool).await.map(|_| ())).unwrap();
        let mut removal = batch(&id, "", "");
        removal.push(("remove", "1"));
        let removed = post_as(app, &council, "/api/staff/save-paper-batch", STAFF_PAGE, &removal).await;
        assert_eq!(removed.location().as_deref(), Some(STAFF_PAGE));
        assert_eq!(count(app, "SELECT COUNT(*) FROM paper_batches").await, 0);
        assert_eq!(audited(app, "paper_batch.").await, ["paper_batch.record", "paper_batch.correct", "paper_batch.remove"]);
        let before: serde_json::Value = on_pool!(&app.store.db, |pool| sqlx::query_scalar::<_, String>(
            "SELECT before_json FROM audit_log WHERE action = 'paper_batch.remove'"
        ).fetch_one(pool).await).map(|j| serde_json::from_str(&j).unwrap()).unwrap();
        assert_eq!(before["signatures"], 102, "what was removed is kept in the audit log");
        assert_eq!(app.get(&format!("/actions/{ACTION}")).await.texts(".signature-count"), ["1 of 1,000 signatures"]);
    }

    async fn the_threshold_mail_goes_once_to_the_municipalitys_council_even_when_many_confirm_at_once(app: &TestApp) {
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let mut tokens = Vec::new();
        for n in 0..12 {
            tokens.push(sign(app, &format!("signer{n}@example.org")).await);
        }
        // The staff form sets a threshold (tested below); here, straight in the database.
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE support_actions SET threshold = 10 WHERE slug = $1").bind(ACTION).execute(pool).await.map(|_| ())).unwrap();

        // Twelve confirmations at once: exactly one of them reaches 10.
        let now = chrono::Utc::now().timestamp();
        let confirmations = tokens.iter().map(|token| {
            let db = app.store.db.clone();
            let token = token.clone();
            tokio::spawn(async move { signatures::confirm(&db, &token, BASE, now).await.unwrap() })
        });
        for done in futures::future::join_all(confirmations).await {
            assert_eq!(done.unwrap(), TokenOutcome::Done);
        }
        let told: Vec<(String, String, String)> = app.mails().await.into_iter()
            .filter(|m| ["deliver", "remettre", "overhandigen"].iter().any(|w| m.subject.contains(w)))
            .map(|m| (m.recipient, m.subject, m.body_text))
            .collect();
        assert_eq!(told.len(), 1, "once, to the one council member: {told:?}");
        assert_eq!(told[0].0, "camille@brussels.example", "not the administrator");
        assert!(told[0].2.contains(&format!("{BASE}/staff/actions/{ACTION}")), "{}", told[0].2);
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        let state = page.texts(".threshold-state").join("");
        assert!(state.starts_with("Threshold: 10 · reached on "), "{state}");

        // A paper batch later: not told again.
        let told = "SELECT COUNT(*) FROM outbox WHERE subject LIKE 'Time to deliver%'";
        post_as(app, &council, "/api/staff/save-paper-batch", STAFF_PAGE, &batch("", "5", &today())).await;
        assert_eq!(count(app, told).await, 1);
        // Another threshold is told again, when a paper batch reaches it.
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE support_actions SET threshold = 60 WHERE slug = $1").bind(ACTION).execute(pool).await.map(|_| ())).unwrap();
        on_pool!(&app.store.db, |pool| sqlx::query("DELETE FROM threshold_notices").execute(pool).await.map(|_| ())).unwrap();
        post_as(app, &council, "/api/staff/save-paper-batch", STAFF_PAGE, &batch("", "40", &today())).await;
        assert_eq!(count(app, told).await, 1, "12 + 5 + 40 = 57: not yet");
        post_as(app, &council, "/api/staff/save-paper-batch", STAFF_PAGE, &batch("", "3", &today())).await;
        assert_eq!(count(app, told).await, 2, "60 reached by paper");
    }
}

on_both_backends! {
    async fn the_response_is_shown_in_each_language_and_mailed_once_to_those_who_asked(app: &TestApp) {
        let now = chrono::Utc::now().timestamp();
        for (email, keep, locale) in [("keep@example.org", true, Locale::Nl), ("quiet@example.org", false, Locale::Fr)] {
            let token = sign_with(app, &request_in(email, keep, locale)).await;
            signatures::confirm(&app.store.db, &token, BASE, now).await.unwrap();
        }
        sign_with(app, &request_in("pending@example.org", true, Locale::En)).await;
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let day = today();

        // No response before a delivery.
        let early = app.post_with("/api/staff/record-response", &[("lang", "en"), ("action", ACTION), ("responded_on", &day),
            ("original_language", "fr"), ("summary_fr", "Trop tôt")], &[("cookie", &council), ("origin", &app.address)]).await;
        assert_eq!(early.status, 400);
        assert_eq!(count(app, "SELECT COUNT(*) FROM responses").await, 0);

        // Delivered, an answer expected by today: awaited.
        let mut delivered = delivery(&day, "Ambassade d’Iran");
        delivered.push(("answer_by", &day));
        post_as(app, &council, "/api/staff/record-delivery", STAFF_PAGE, &delivered).await;
        let page = app.get(&format!("/actions/{ACTION}")).await;
        assert_eq!(page.texts(".response-awaited"), [format!("An answer is expected by {}", day_in_words(&day, Locale::En))]);
        // The day passed with no response: silence is news too.
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE deliveries SET answer_by = '2020-03-15'").execute(pool).await.map(|_| ())).unwrap();
        let page = app.get(&format!("/fr/actions/{ACTION}")).await;
        assert_eq!(page.texts(".no-answer"), ["Aucune réponse au 15 mars 2020"]);
        let api: serde_json::Value = serde_json::from_str(&app.get(&format!("/api/v1/actions/{ACTION}")).await.body).unwrap();
        assert_eq!((api["no_answer"].as_bool(), api["response"].is_null()), (Some(true), true));

        // A response without its original's summary is refused; nothing is stored or mailed.
        let mails_before = count(app, "SELECT COUNT(*) FROM outbox").await;
        let refused = post_as(app, &council, "/api/staff/record-response", STAFF_PAGE, &[("lang", "en"), ("action", ACTION),
            ("responded_on", &day), ("original_language", "fr"), ("summary_fr", ""), ("body_html_fr", "<p>Texte</p>")]).await;
        assert_eq!(refused.status, 302);
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(page.texts("#response-summary_fr-error"), ["Fill in this field."]);
        assert_eq!(count(app, "SELECT COUNT(*) FROM responses").await, 0);

        let response = [("lang", "en"), ("action", ACTION), ("responded_on", day.as_str()), ("original_language", "fr"),
            ("summary_fr", "L’ambassade accuse réception."), ("body_html_fr", "<p>Nous avons <em>bien reçu</em> vos signatures.<script>x</script></p>"),
            ("summary_nl", "De ambassade bevestigt de ontvangst."), ("source_url", "https://example.org/reponse")];
        // Communications staff see the action but record nothing of what
        // came of it: that is its council's word (issue 28, N3).
        let comms = staff_member(app, "comms@brussels.example", Role::Comms, None).await;
        let case = app.get_with("/staff/persons/vahid-afkari", &[("cookie", &comms)]).await;
        assert!(case.attr(&format!("a[href='/staff/actions/{ACTION}']"), "href").is_some(), "the way there");
        let page = app.get_with(STAFF_PAGE, &[("cookie", &comms)]).await;
        assert_eq!(page.status, 200);
        assert!(page.html().select(&scraper::Selector::parse("form.paper-form, form.staff-form input[name=goal], form.response-form").unwrap()).next().is_none(),
            "nothing of the action to change for them");
        let refused = post_as(app, &comms, "/api/staff/record-response", STAFF_PAGE, &response).await;
        assert_eq!(refused.status, 403);
        assert_eq!(count(app, "SELECT COUNT(*) FROM responses").await, 0);
        assert_eq!(count(app, "SELECT COUNT(*) FROM outbox").await, mails_before, "nobody mailed");

        let recorded = post_as(app, &council, "/api/staff/record-response", STAFF_PAGE, &response).await;
        assert_eq!(recorded.location().as_deref(), Some(STAFF_PAGE));
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(page.texts(".notice"), ["The response is recorded; signers who asked to be kept informed are told by mail."]);

        // One mail, to the confirmed signer who asked, in Dutch, with the way to stop.
        let mails: Vec<(String, String, String)> = app.mails().await.into_iter()
            .map(|m| (m.recipient, m.subject, m.body_text))
            .collect();
        assert_eq!(mails.len() as i64, mails_before + 1, "{mails:?}");
        let (to, subject, body) = mails.last().unwrap();
        assert_eq!(to, "keep@example.org");
        assert!(subject.starts_with("Het antwoord op „"), "{subject}");
        assert!(body.contains("De ambassade bevestigt de ontvangst."), "{body}");
        assert!(body.contains(&format!("{}/nl/actions/{ACTION}", app.address)) && body.contains("/nl/signatures/unsubscribe?token="), "{body}");

        // Each language: its summary where written, else the French, marked.
        let nl = app.get(&format!("/nl/actions/{ACTION}")).await;
        assert_eq!(nl.texts(".response-summary"), ["De ambassade bevestigt de ontvangst."]);
        assert_eq!(nl.attr(".response-summary", "lang"), None);
        assert_eq!(nl.attr(".response-text", "lang").as_deref(), Some("fr"), "the full text, not translated");
        assert!(nl.body.contains("<em>bien reçu</em>") && !nl.body.contains("<script>x"), "sanitized");
        let en = app.get(&format!("/actions/{ACTION}")).await;
        assert_eq!(en.texts(".response-summary"), ["L’ambassade accuse réception."]);
        assert_eq!(en.attr(".response-summary", "lang").as_deref(), Some("fr"));
        assert_eq!(en.texts(".response .untranslated"), ["Not yet translated: original in French."]);
        assert!(en.texts(".no-answer").is_empty());
        let api: serde_json::Value = serde_json::from_str(&app.get(&format!("/api/v1/actions/{ACTION}?lang=nl")).await.body).unwrap();
        assert_eq!(api["response"]["summary"], serde_json::json!({"text": "De ambassade bevestigt de ontvangst.", "lang": "nl"}));
        assert_eq!(api["no_answer"], false);

        // A correction is audited and mails nobody again.
        let mut corrected = response.to_vec();
        corrected[4] = ("summary_fr", "L’ambassade a reçu les signatures.");
        post_as(app, &council, "/api/staff/record-response", STAFF_PAGE, &corrected).await;
        assert_eq!(count(app, "SELECT COUNT(*) FROM outbox").await, mails_before + 1);
        assert_eq!(app.get(&format!("/fr/actions/{ACTION}")).await.texts(".response-summary"), ["L’ambassade a reçu les signatures."]);
        assert_eq!(audited(app, "response.").await, ["response.record", "response.correct"]);
    }
}

on_both_backends! {
    async fn a_confirmation_that_waits_on_another_counts_it_toward_the_threshold(app: &TestApp) {
        use app::server::db::BeginWrite;
        use app::signing::threshold::CheckThreshold;
        staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let first = sign(app, "a@example.org").await;
        let second = sign(app, "b@example.org").await;
        assert!(!first.is_empty());
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE support_actions SET threshold = 2 WHERE slug = $1").bind(ACTION).execute(pool).await.map(|_| ())).unwrap();
        let action: i64 = on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT id FROM support_actions WHERE slug = $1").bind(ACTION).fetch_one(pool).await).unwrap();
        let now = chrono::Utc::now().timestamp();
        // One confirmation counts 1 of 2 and stays open; another comes
        // meanwhile. Counting without the first, it would see 1 of 2 too,
        // and nobody would ever be told.
        on_pool!(&app.store.db, |pool| async {
            let mut tx = pool.begin_write().await.unwrap();
            sqlx::query("UPDATE signatures SET state = 'confirmed', confirmed_at = $1 WHERE email_hash = $2")
                .bind(now).bind(crate::helpers::email_hash("a@example.org")).execute(&mut *tx).await.unwrap();
            assert!(!tx.check_threshold(action, BASE, now).await.unwrap(), "1 of 2");
            let db = app.store.db.clone();
            let other = tokio::spawn(async move { signatures::confirm(&db, &second, BASE, now).await.unwrap() });
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            tx.commit().await.unwrap();
            assert_eq!(other.await.unwrap(), TokenOutcome::Done);
        }.await);
        assert_eq!(count(app, "SELECT COUNT(*) FROM outbox WHERE subject LIKE 'Time to deliver%'").await, 1);
    }
}

/// A date as the pages write it.
fn day_in_words(day: &str, locale: Locale) -> String {
    app::domain::PartialDate::parse(day).unwrap().format(locale)
}

on_both_backends! {
    async fn a_delivery_of_no_signatures_asks_to_be_confirmed(app: &TestApp) {
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let day = today();

        // Nobody signed: the form asks before it closes the action for good.
        let asked = post_as(app, &council, "/api/staff/record-delivery", STAFF_PAGE, &delivery(&day, "Ambassade d’Iran")).await;
        assert_eq!(asked.status, 302);
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(page.texts("#delivery-confirm_empty-error"), ["This action has no signatures to deliver, online or on paper. Tick the box below if you did hand over an empty list."]);
        assert_eq!(page.attr("#delivery-recipient", "value").as_deref(), Some("Ambassade d’Iran"), "what was typed comes back");
        assert!(page.html().select(&scraper::Selector::parse("input#delivery-confirm_empty[type=checkbox]").unwrap()).next().is_some());
        assert_eq!(count(app, "SELECT COUNT(*) FROM deliveries").await, 0);
        assert_eq!(count(app, "SELECT COUNT(*) FROM status_events WHERE title LIKE 'Signatures delivered%'").await, 0);

        // Confirmed: recorded, with its count of none.
        let mut confirmed = delivery(&day, "Ambassade d’Iran");
        confirmed.push(("confirm_empty", "on"));
        let recorded = post_as(app, &council, "/api/staff/record-delivery", STAFF_PAGE, &confirmed).await;
        assert_eq!(recorded.location().as_deref(), Some(STAFF_PAGE));
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert_eq!(page.texts(".notice"), ["The delivery is recorded; the action is closed for good."]);
        assert_eq!(page.texts(".delivery-record .delivered-count"), ["0"]);
    }
}

on_both_backends! {
    async fn an_administrator_undoes_a_mistaken_delivery_and_its_signers_are_not_mailed_twice(app: &TestApp) {
        let now = chrono::Utc::now().timestamp();
        let token = sign_with(app, &request_in("keep@example.org", true, Locale::En)).await;
        signatures::confirm(&app.store.db, &token, BASE, now).await.unwrap();
        let council = staff_member(app, "camille@brussels.example", Role::Council, Some("brussels")).await;
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let day = today();
        post_as(app, &council, "/api/staff/record-delivery", STAFF_PAGE, &delivery(&day, "Ambassade d’Iran")).await;
        let told = app.mails_to("keep@example.org").await.len();
        let published = "SELECT COUNT(*) FROM status_events WHERE title LIKE 'Signatures delivered%' AND is_published";
        assert_eq!(count(app, published).await, 1);

        // Only an administrator undoes it: the council that recorded it sees no such button, and is refused.
        let page = app.get_with(STAFF_PAGE, &[("cookie", &council)]).await;
        assert!(page.texts(".undo-delivery button").is_empty());
        let refused = post_as(app, &council, "/api/staff/undo-delivery", STAFF_PAGE, &[("lang", "en"), ("action", ACTION)]).await;
        assert_eq!(refused.status, 403);
        assert_eq!(count(app, "SELECT COUNT(*) FROM deliveries").await, 1);

        let page = app.get_with(STAFF_PAGE, &[("cookie", &admin)]).await;
        assert_eq!(page.texts(".undo-delivery button"), ["Undo this delivery"]);
        let undone = post_as(app, &admin, "/api/staff/undo-delivery", STAFF_PAGE, &[("lang", "en"), ("action", ACTION)]).await;
        assert_eq!(undone.location().as_deref(), Some(STAFF_PAGE), "{}", undone.body);
        assert_eq!(count(app, "SELECT COUNT(*) FROM deliveries").await, 0);
        assert_eq!(count(app, published).await, 0, "its news is withdrawn");
        assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'delivery.undo'").await, 1);
        let public = app.get(&format!("/actions/{ACTION}")).await;
        assert_eq!(public.attr("article.support-action", "data-availability").as_deref(), Some("closed"), "closed until reopened");

        // Recorded again, for real: news on the timeline, and no second mail to the signer.
        post_as(app, &council, "/api/staff/record-delivery", STAFF_PAGE, &delivery(&day, "Ambassade d’Iran à Bruxelles")).await;
        assert_eq!(count(app, "SELECT COUNT(*) FROM deliveries").await, 1);
        assert_eq!(count(app, published).await, 1);
        assert_eq!(app.mails_to("keep@example.org").await.len(), told, "not mailed twice");

        // After the days allowed, it stays.
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE deliveries SET recorded_at = recorded_at - 8 * 86400").execute(pool).await.map(|_| ())).unwrap();
        let late = post_as(app, &admin, "/api/staff/undo-delivery", STAFF_PAGE, &[("lang", "en"), ("action", ACTION)]).await;
        assert_ne!(late.location().as_deref(), Some(STAFF_PAGE));
        assert_eq!(count(app, "SELECT COUNT(*) FROM deliveries").await, 1);
    }
}
