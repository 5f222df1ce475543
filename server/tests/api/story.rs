//! The data-layer story: one walk through the repository, run on SQLite and
//! on PostgreSQL, asserting the same answers from both.
use crate::helpers::TestStore;
use crate::on_both_backends;
use app::api::persons::{on_server as persons, PersonFilter};
use app::api::places::on_server as places;
use app::domain::Availability;
use app::domain::{CountryCode, PartialDate, RightsCategory, Slug, Status};
use app::i18n::Locale;
use app::on_pool;
use server::demo;

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

async fn current_status(store: &TestStore, person: &str) -> Option<Status> {
    persons::detail(&store.db, &slug(person), Locale::En)
        .await
        .unwrap()
        .unwrap()
        .person
        .current_status
}

on_both_backends! {
    async fn demo_data_matches_the_seed(store: &TestStore) {
        let all = persons::list(&store.db, &PersonFilter::default(), Locale::En).await.unwrap();
        let names: Vec<&str> = all.iter().map(|p| p.full_name.as_str()).collect();
        assert_eq!(
            names,
            ["Dorgelesse N'guessan", "Hamid Babaei", "Loujain al-Hathloul", "Raif Badawi", "Vahid Afkari"]
        );

        let loujain = persons::detail(&store.db, &slug("loujain-al-hathloul"), Locale::En).await.unwrap().unwrap();
        let dates: Vec<String> = loujain.timeline.iter().map(|e| e.occurred_on.to_string()).collect();
        assert_eq!(dates, ["2014", "2018-05", "2020-12-28", "2021-02-10"]);
        let statuses: Vec<Option<Status>> = loujain.timeline.iter().map(|e| e.status).collect();
        assert_eq!(
            statuses,
            [Some(Status::Arrested), Some(Status::Detained), Some(Status::Sentenced), Some(Status::Released)]
        );
        assert_eq!(loujain.person.current_status, Some(Status::Released));
        assert_eq!(loujain.adoptions.len(), 1);
        assert_eq!(loujain.adoptions[0].adopted_on, PartialDate::year_month(2021, 1).unwrap());
        assert_eq!(loujain.person.rights[0].category, RightsCategory::GenderEquality);
        assert_eq!(loujain.person.rights[0].name.fr, "Égalité entre les femmes et les hommes");

        let raif = persons::detail(&store.db, &slug("raif-badawi"), Locale::En).await.unwrap().unwrap();
        let raif_dates: Vec<String> = raif.timeline.iter().map(|e| e.occurred_on.to_string()).collect();
        assert_eq!(raif_dates, ["2008", "2012", "2022-03-11"]);
        assert_eq!(raif.person.current_status, Some(Status::Released));

        let hamid = persons::detail(&store.db, &slug("hamid-babaei"), Locale::En).await.unwrap().unwrap();
        let hamid_dates: Vec<String> = hamid.timeline.iter().map(|e| e.occurred_on.to_string()).collect();
        assert_eq!(hamid_dates, ["2013", "2019"]);
        assert_eq!(hamid.adoptions[0].adopted_on.to_string(), "2015");
        assert_eq!(hamid.person.country.as_ref().unwrap().name.nl, "Iran");

        // Where the seed is silent, so is the record.
        let vahid = persons::detail(&store.db, &slug("vahid-afkari"), Locale::En).await.unwrap().unwrap();
        assert!(vahid.timeline.is_empty());
        assert_eq!(vahid.person.current_status, None);
        assert_eq!(vahid.person.country, None);
        assert_eq!(vahid.person.summary, None);
        assert_eq!(vahid.adoptions[0].adopted_on.to_string(), "2022-12-05");
    }

    async fn loading_the_demo_twice_changes_nothing(store: &TestStore) {
        assert_eq!(demo::load(&store.db, false).await.unwrap(), demo::Outcome::AlreadyPresent);
        assert_eq!(demo::load(&store.db, true).await.unwrap(), demo::Outcome::AlreadyPresent);
        let all = persons::list(&store.db, &PersonFilter::default(), Locale::En).await.unwrap();
        assert_eq!(all.len(), 5);
    }

    async fn filters_narrow_the_list(store: &TestStore) {
        let names = |list: Vec<app::api::PersonSummary>| list.into_iter().map(|p| p.slug.to_string()).collect::<Vec<_>>();
        let by = |filter: PersonFilter| async move { names(persons::list(&store.db, &filter, Locale::En).await.unwrap()) };

        assert_eq!(
            by(PersonFilter { rights: Some(RightsCategory::GenderEquality), ..Default::default() }).await,
            ["loujain-al-hathloul"]
        );
        assert_eq!(
            by(PersonFilter { status: Some(Status::Released), ..Default::default() }).await,
            ["hamid-babaei", "loujain-al-hathloul", "raif-badawi"]
        );
        assert_eq!(
            by(PersonFilter { country: Some(CountryCode::parse("SA").unwrap()), ..Default::default() }).await,
            ["loujain-al-hathloul", "raif-badawi"]
        );
        assert_eq!(by(PersonFilter { municipality: Some(slug("brussels")), ..Default::default() }).await.len(), 5);
        assert!(by(PersonFilter { municipality: Some(slug("ghent")), ..Default::default() }).await.is_empty());
        assert!(by(PersonFilter { status: Some(Status::Detained), ..Default::default() }).await.is_empty());
        assert_eq!(
            by(PersonFilter {
                status: Some(Status::Released),
                country: Some(CountryCode::parse("IR").unwrap()),
                ..Default::default()
            })
            .await,
            ["hamid-babaei"]
        );

        let choices = persons::filter_choices(&store.db, Locale::En).await.unwrap();
        assert_eq!(choices.categories.len(), 9);
        let countries: Vec<&str> = choices.countries.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(countries, ["IR", "SA"]);
        assert_eq!(choices.municipalities.len(), 1);
    }

    async fn current_status_follows_the_latest_published_event(store: &TestStore) {
        let person_id: i64 = on_pool!(&store.db, |pool| sqlx::query_scalar("SELECT id FROM persons WHERE slug = 'hamid-babaei'")
            .fetch_one(pool)
            .await)
        .unwrap();
        let insert = |status: Option<&'static str>, year: i32, published: bool| {
            let db = store.db.clone();
            async move {
                on_pool!(&db, |pool| sqlx::query(
                    "INSERT INTO status_events (person_id, status, occurred_year, title, is_published)
                     VALUES ($1, $2, $3, 'test event', $4)"
                )
                .bind(person_id)
                .bind(status)
                .bind(year)
                .bind(published)
                .execute(pool)
                .await
                .map(|_| ()))
                .unwrap();
            }
        };
        // A draft changes nothing.
        insert(Some("detained"), 2024, false).await;
        assert_eq!(current_status(store, "hamid-babaei").await, Some(Status::Released));
        // A published event without a status changes nothing either.
        insert(None, 2025, true).await;
        assert_eq!(current_status(store, "hamid-babaei").await, Some(Status::Released));
        // An older published event does not override the newer one.
        insert(Some("at-risk"), 2010, true).await;
        assert_eq!(current_status(store, "hamid-babaei").await, Some(Status::Released));
        // A newer published one does; on the same date the later entry wins.
        insert(Some("in-exile"), 2025, true).await;
        insert(Some("at-risk"), 2025, true).await;
        assert_eq!(current_status(store, "hamid-babaei").await, Some(Status::AtRisk));
        // The draft never appears on the timeline.
        let detail = persons::detail(&store.db, &slug("hamid-babaei"), Locale::En).await.unwrap().unwrap();
        assert!(detail.timeline.iter().all(|e| e.status != Some(Status::Detained)));
    }

    async fn a_person_lists_their_support_actions_open_first(store: &TestStore) {
        for (slug, is_open) in [("first-action", false), ("second-action", true)] {
            on_pool!(&store.db, |pool| sqlx::query(
                "INSERT INTO support_actions (person_id, slug, title, body_html, addressee, goal, opens_on, is_open)
                 SELECT id, $1, 'Stand with Vahid Afkari', '<p>Solidarity.</p>', 'The authorities', 1000,
                        '2020-01-01', $2
                   FROM persons WHERE slug = 'vahid-afkari'"
            )
            .bind(slug)
            .bind(is_open)
            .execute(pool)
            .await
            .map(|_| ()))
            .unwrap();
        }
        let vahid = persons::detail(&store.db, &slug("vahid-afkari"), Locale::En).await.unwrap().unwrap();
        let actions: Vec<(String, bool, i64)> =
            vahid.support_actions.iter().map(|a| (a.slug.to_string(), a.availability == Availability::Open, a.goal)).collect();
        assert_eq!(
            actions,
            [
                ("second-action".into(), true, 1000),
                ("solidarity-with-vahid-afkari".into(), true, 1000),
                ("first-action".into(), false, 1000)
            ]
        );
        let raif = persons::detail(&store.db, &slug("raif-badawi"), Locale::En).await.unwrap().unwrap();
        assert!(raif.support_actions.is_empty());
    }

    async fn support_actions_are_created_closed_and_counted_honestly(store: &TestStore) {
        use app::api::actions::on_server::detail;
        use app::server::audit::Actor;
        use app::campaigns::actions::on_server::{self as actions, NewSupportAction};
        use app::domain::Line;
        let new = |slug_: &str, person: &str| NewSupportAction {
            person: slug(person),
            slug: slug(slug_),
            title: Line::parse("Write to Hamid Babaei").unwrap(),
            body_html: "<p onclick=\"x()\">Send <em>greetings</em><script>alert(1)</script></p>".into(),
            addressee: Line::parse("Hamid Babaei").unwrap(),
            goal: 500,
            opens_on: PartialDate::parse("2026-01-01").unwrap(),
            closes_on: Some(PartialDate::parse("2099-12-31").unwrap()),
        };
        actions::create(&store.db, Actor::Cli, &new("write-to-hamid", "hamid-babaei")).await.unwrap();
        let err = actions::create(&store.db, Actor::Cli, &new("write-to-hamid", "hamid-babaei")).await.unwrap_err();
        assert!(matches!(err, actions::ActionError::SlugTaken(_)), "{err}");
        let err = actions::create(&store.db, Actor::Cli, &new("write-to-nobody", "nobody")).await.unwrap_err();
        assert!(matches!(err, actions::ActionError::UnknownPerson(_)), "{err}");
        let mut partial = new("partial-dates", "hamid-babaei");
        partial.opens_on = PartialDate::parse("2026-05").unwrap();
        assert!(matches!(actions::create(&store.db, Actor::Cli, &partial).await, Err(actions::ActionError::NotAFullDate(_))));
        let mut backwards = new("backwards", "hamid-babaei");
        backwards.closes_on = Some(PartialDate::parse("2025-12-31").unwrap());
        assert!(matches!(actions::create(&store.db, Actor::Cli, &backwards).await, Err(actions::ActionError::ClosesBeforeOpening)));

        let action = detail(&store.db, &slug("write-to-hamid"), Locale::En).await.unwrap().unwrap();
        assert_eq!(action.body_html.text, "<p>Send <em>greetings</em></p>", "sanitized on the way in");
        assert_eq!((action.goal, action.confirmed, action.availability), (500, 0, Availability::Open));
        assert_eq!(action.closes_on.unwrap().to_string(), "2099-12-31");

        // Only confirmed signatures count.
        for (i, state) in ["pending", "confirmed", "withdrawn", "confirmed"].iter().enumerate() {
            on_pool!(&store.db, |pool| sqlx::query(
                "INSERT INTO signatures (action_id, name, email_hash, token_hash, state, created_at, last_mailed_at)
                 SELECT id, 'A signer', $1, $2, $3, 0, 0 FROM support_actions WHERE slug = 'write-to-hamid'"
            )
            .bind(format!("signer{i}@example.org"))
            .bind(format!("hash{i}"))
            .bind(*state)
            .execute(pool)
            .await
            .map(|_| ()))
            .unwrap();
        }
        let action = detail(&store.db, &slug("write-to-hamid"), Locale::En).await.unwrap().unwrap();
        assert_eq!(action.confirmed, 2);
        let hamid = persons::detail(&store.db, &slug("hamid-babaei"), Locale::En).await.unwrap().unwrap();
        assert_eq!(hamid.support_actions[0].confirmed, 2);

        actions::close(&store.db, Actor::Cli, &slug("write-to-hamid")).await.unwrap();
        actions::close(&store.db, Actor::Cli, &slug("write-to-hamid")).await.unwrap();
        let action = detail(&store.db, &slug("write-to-hamid"), Locale::En).await.unwrap().unwrap();
        assert_eq!((action.availability, action.confirmed), (Availability::ClosedByOrganisers, 2));
        assert!(matches!(
            actions::close(&store.db, Actor::Cli, &slug("no-such-action")).await,
            Err(actions::ActionError::UnknownAction(_))
        ));
        let listed: Vec<String> = actions::list(&store.db).await.unwrap().into_iter().map(|a| a.slug).collect();
        assert_eq!(listed.len(), 3);
        assert!(listed.contains(&"write-to-hamid".to_owned()));
    }

    async fn unpublished_persons_stay_hidden(store: &TestStore) {
        on_pool!(&store.db, |pool| sqlx::query("UPDATE persons SET is_public = FALSE WHERE slug = 'vahid-afkari'")
            .execute(pool)
            .await
            .map(|_| ()))
        .unwrap();
        assert!(persons::detail(&store.db, &slug("vahid-afkari"), Locale::En).await.unwrap().is_none());
        assert_eq!(persons::list(&store.db, &PersonFilter::default(), Locale::En).await.unwrap().len(), 4);
        let brussels = places::municipality(&store.db, &slug("brussels"), Locale::En).await.unwrap().unwrap();
        assert_eq!(brussels.adoptions.len(), 4);
    }

    async fn municipality_lists_its_adoptions_newest_first(store: &TestStore) {
        let brussels = places::municipality(&store.db, &slug("brussels"), Locale::En).await.unwrap().unwrap();
        assert_eq!(brussels.name.text, "City of Brussels");
        assert_eq!(brussels.joined_on.unwrap().to_string(), "2015");
        assert_eq!(brussels.country.unwrap().name.fr, "Belgique");
        let order: Vec<(String, String)> = brussels
            .adoptions
            .iter()
            .map(|(p, a)| (p.slug.to_string(), a.adopted_on.to_string()))
            .collect();
        assert_eq!(
            order,
            [
                ("dorgelesse-nguessan".into(), "2022-12-05".into()),
                ("vahid-afkari".into(), "2022-12-05".into()),
                ("loujain-al-hathloul".into(), "2021-01".into()),
                ("raif-badawi".into(), "2021-01".into()),
                ("hamid-babaei".into(), "2015".into()),
            ]
        );
        assert!(places::municipality(&store.db, &slug("ghent"), Locale::En).await.unwrap().is_none());
    }
}

on_both_backends! {
    /// `seed-demo --if-empty` (what `make run` calls) fills an empty database and
    /// leaves one that already holds persons alone.
    async fn demo_only_if_empty(backend: &crate::helpers::Backend) {
        let backend = *backend;
        let store = TestStore::empty(backend).await;
        assert_eq!(
            demo::load(&store.db, true).await.unwrap(),
            demo::Outcome::Loaded {
                persons: 5,
                events: 9,
                actions: 2
            }
        );
        store.teardown().await;

        let store = TestStore::empty(backend).await;
        on_pool!(&store.db, |pool| sqlx::query(
            "INSERT INTO persons (slug, full_name, is_public) VALUES ('someone', 'Someone Else', TRUE)"
        )
        .execute(pool)
        .await
        .map(|_| ()))
        .unwrap();
        assert_eq!(
            demo::load(&store.db, true).await.unwrap(),
            demo::Outcome::NotEmpty
        );
        assert_eq!(
            persons::list(&store.db, &PersonFilter::default(), Locale::En)
                .await
                .unwrap()
                .len(),
            1
        );
        store.teardown().await;
    }
}
