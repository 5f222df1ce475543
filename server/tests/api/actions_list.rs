//! What a citizen can sign, found at once (issue 31): the home page opens
//! with the open actions, `/actions` lists them all with filters, the menu
//! leads there, and each person card says how many actions are open. Only
//! actions of public persons are listed. On both backends.
use crate::helpers::{sql, TestApp};
use crate::on_both_backends;
use app::on_pool;

const DORGELESSE: &str = "solidarity-with-dorgelesse-nguessan";
const VAHID: &str = "solidarity-with-vahid-afkari";

/// Moves an action's closing date to `days` after today (before, if negative).
async fn closes_in(app: &TestApp, action: &str, days: i64) {
    let closes = app::server::clock::today_date() + chrono::Duration::days(days);
    on_pool!(&app.store.db, |pool| sqlx::query(
        "UPDATE support_actions SET closes_on = $1 WHERE slug = $2"
    )
    .bind(closes)
    .bind(action)
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
}

on_both_backends! {
    async fn the_home_page_opens_with_the_open_actions_each_a_link_to_sign(app: &TestApp) {
        let page = app.get("/").await;
        assert_eq!(page.status, 200);
        // The first section after the introduction: what a visitor came to do.
        assert_eq!(page.texts("main section h2").first().map(String::as_str), Some("Sign now"));
        assert_eq!(
            page.texts("h3.action-title"),
            ["Solidarity with Dorgelesse N'guessan", "Solidarity with Vahid Afkari"]
        );
        let card = format!("[data-action='{VAHID}']");
        assert_eq!(page.texts(&format!("{card} .for-person a")), ["Vahid Afkari"]);
        assert_eq!(page.texts(&format!("{card} .count")), ["0 of 1,000 signatures"]);
        assert_eq!(page.texts(&format!("{card} .state")), ["open · No closing date"]);
        // One click to the form: the sign link lands on it, and names its action.
        assert_eq!(page.attr(&format!("{card} a.sign-link"), "href"), Some(format!("/actions/{VAHID}#sign")));
        assert_eq!(
            page.attr(&format!("{card} a.sign-link"), "aria-label").as_deref(),
            Some("Sign: Solidarity with Vahid Afkari")
        );
        let form = app.get(&format!("/actions/{VAHID}")).await;
        assert_eq!(form.attr("#sign", "id").as_deref(), Some("sign"), "the link's target exists");
        assert_eq!(page.attr("main a[href='/actions']", "href").as_deref(), Some("/actions"));
        // The menu leads to the list; the person cards count the open actions.
        assert_eq!(page.texts(".site-header nav:not(.languages) a"), ["Home", "Actions", "Persons"]);
        assert_eq!(page.texts("[data-person='vahid-afkari'] .open-actions"), ["1 action open for signatures"]);
        assert!(page.texts("[data-person='loujain-al-hathloul'] .open-actions").is_empty());

        // In French, with the date of the last day; none open: no section.
        closes_in(app, VAHID, 0).await;
        closes_in(app, DORGELESSE, 12).await;
        let fr = app.get("/fr").await;
        assert_eq!(fr.texts(".site-header nav:not(.languages) a"), ["Accueil", "Actions", "Personnes"]);
        assert_eq!(fr.texts(&format!("{card} .state")), ["ouverte · Dernier jour pour signer"]);
        assert_eq!(fr.texts(&format!("[data-action='{DORGELESSE}'] .state")), ["ouverte · Encore 12 jours"]);
        // The soonest to close comes first.
        assert_eq!(fr.attr(".action-card", "data-action").as_deref(), Some(VAHID));
        assert_eq!(fr.attr(&format!("{card} a.sign-link"), "href"), Some(format!("/fr/actions/{VAHID}#sign")));
        sql(app, "UPDATE support_actions SET is_open = FALSE").await;
        let none = app.get("/").await;
        assert!(none.texts(".action-card").is_empty());
        assert!(none.texts("#actions-heading").is_empty(), "no empty section");
        assert!(none.texts(".open-actions").is_empty());
        assert_eq!(none.texts(".person-card").len(), 5);
    }

    async fn the_actions_list_filters_by_state_and_municipality_with_javascript_off(app: &TestApp) {
        closes_in(app, DORGELESSE, 1).await;
        let all = app.get("/actions").await;
        assert_eq!(all.status, 200);
        assert_eq!(all.texts("h1"), ["Support actions"]);
        // The cards' titles come right under the page's title: h2, no level skipped.
        assert_eq!(all.texts("h2.action-title").len(), 2);
        assert!(all.texts("h3").is_empty());
        assert_eq!(all.texts(".result-count"), ["2 actions"]);
        assert_eq!(all.texts(&format!("[data-action='{DORGELESSE}'] .state")), ["open · Closes tomorrow"]);
        // A plain GET form: it works without JavaScript.
        assert_eq!(all.attr("form.filters", "method").as_deref(), Some("get"));
        assert_eq!(all.attr("form.filters", "action").as_deref(), Some("/actions"));
        assert_eq!(all.texts("select[name=municipality] option"), ["Any", "City of Brussels"]);
        assert_eq!(
            all.texts("select[name=state] option"),
            ["Any", "Open for signatures", "Not open yet", "Closed", "Delivered"]
        );

        // One closed by its organisers, one delivered: each under its state,
        // the open ones first in the whole list.
        sql(app, "UPDATE support_actions SET is_open = FALSE WHERE slug = 'solidarity-with-dorgelesse-nguessan'").await;
        let closed = app.get("/actions?state=closed").await;
        assert_eq!(closed.texts(".action-title"), ["Solidarity with Dorgelesse N'guessan"]);
        assert_eq!(closed.attr("select[name=state] option[selected]", "value").as_deref(), Some("closed"));
        assert!(closed.texts(".sign-link").is_empty(), "a closed action has no sign link");
        assert_eq!(closed.attr(".read-link", "href"), Some(format!("/actions/{DORGELESSE}")));
        let open = app.get("/actions?state=open&municipality=").await;
        assert_eq!(open.texts(".action-title"), ["Solidarity with Vahid Afkari"]);
        let both = app.get("/actions").await;
        assert_eq!(both.attr(".action-card", "data-action").as_deref(), Some(VAHID));
        assert!(app.get("/actions?state=delivered").await.texts(".action-card").is_empty());
        assert_eq!(app.get("/actions?state=delivered").await.texts(".result-count + p"), ["No action matches these filters."]);

        // By the municipality running it, in Dutch.
        let nl = app.get("/nl/actions?municipality=brussels").await;
        assert_eq!(nl.texts("h1"), ["Steunacties"]);
        assert_eq!(nl.texts(".result-count"), ["2 acties"]);
        assert_eq!(nl.attr("select[name=municipality] option[selected]", "value").as_deref(), Some("brussels"));
        sql(app, "INSERT INTO municipalities (slug, name, country_code) VALUES ('liege', 'Liège', 'BE')").await;
        let elsewhere = app.get("/actions?municipality=liege").await;
        assert_eq!(elsewhere.status, 200);
        assert!(elsewhere.texts(".action-card").is_empty());

        // A value the list does not know is a clear message, not a 500.
        for bad in ["/actions?state=signable", "/fr/actions?municipality=Not%20a%20slug"] {
            let page = app.get(bad).await;
            assert_eq!(page.status, 400, "{bad}");
            assert!(page.texts(".action-card").is_empty(), "{bad}");
        }
        let bad = app.get("/actions?state=signable").await;
        assert!(bad.body.contains("The filter “State” has no value “signable”"), "{}", bad.body);
    }

    async fn only_actions_of_public_persons_are_listed(app: &TestApp) {
        sql(app, "UPDATE persons SET is_public = FALSE WHERE slug = 'vahid-afkari'").await;
        for path in ["/", "/actions", "/fr/actions", "/actions?municipality=brussels&state=open"] {
            let page = app.get(path).await;
            assert_eq!(page.status, 200, "{path}");
            assert!(!page.body.contains("Afkari"), "{path} names a private person");
            assert_eq!(page.texts(".action-card").len(), 1, "{path}");
        }
        sql(app, "UPDATE persons SET is_public = FALSE").await;
        let page = app.get("/actions").await;
        assert_eq!(page.texts(".result-count"), ["0 actions"]);
        assert_eq!(page.texts("select[name=municipality] option"), ["Any"], "no municipality offered for private cases");
    }
}
