//! Staff accounts at the data layer, on both backends.
use crate::helpers::TestStore;
use crate::on_both_backends;
use app::backoffice::accounts::{create_user, verify_password, AccountError, NewUser};
use app::domain::{Email, PersonName, Role, Slug};
use app::on_pool;
use app::server::audit::Actor;

const PASSWORD: &str = "a long enough passphrase";

fn user(email: &str, role: Role, municipality: Option<&str>) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        name: PersonName::parse("Camille Leroy").unwrap(),
        role,
        municipality: municipality.map(|m| Slug::parse(m).unwrap()),
    }
}

on_both_backends! {
    async fn accounts_are_created_once_with_a_hashed_password(store: &TestStore) {
        let id = create_user(&store.db, Actor::Cli, &user("Camille.Leroy@Brussels.example", Role::Council, Some("brussels")), PASSWORD, 1).await.unwrap();
        let (email, hash, role, municipality): (String, String, String, Option<i64>) = on_pool!(&store.db, |pool| sqlx::query_as(
            "SELECT email, password_hash, role, municipality_id FROM users WHERE id = $1"
        )
        .bind(id)
        .fetch_one(pool)
        .await)
        .unwrap();
        assert_eq!(email, "camille.leroy@brussels.example", "the login is stored lowercase");
        assert_eq!(role, "council");
        assert!(municipality.is_some());
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(PASSWORD));
        assert!(verify_password(&hash, PASSWORD));

        let again = create_user(&store.db, Actor::Cli, &user("camille.leroy@brussels.example", Role::Comms, None), PASSWORD, 2).await;
        assert!(matches!(again, Err(AccountError::EmailTaken)), "{again:?}");
    }

    async fn roles_and_municipalities_must_agree(store: &TestStore) {
        let no_city = create_user(&store.db, Actor::Cli, &user("a@brussels.example", Role::Council, None), PASSWORD, 1).await;
        assert!(matches!(no_city, Err(AccountError::MunicipalityRequired)), "{no_city:?}");
        let admin_city = create_user(&store.db, Actor::Cli, &user("b@brussels.example", Role::Admin, Some("brussels")), PASSWORD, 1).await;
        assert!(matches!(admin_city, Err(AccountError::MunicipalityNotAllowed("admin"))), "{admin_city:?}");
        let unknown = create_user(&store.db, Actor::Cli, &user("c@brussels.example", Role::Council, Some("atlantis")), PASSWORD, 1).await;
        assert!(matches!(unknown, Err(AccountError::UnknownMunicipality(_))), "{unknown:?}");
        let weak = create_user(&store.db, Actor::Cli, &user("d@brussels.example", Role::Admin, None), "hunter2", 1).await;
        assert!(matches!(weak, Err(AccountError::PasswordTooShort)), "{weak:?}");
        let count: i64 = on_pool!(&store.db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(pool)
            .await)
        .unwrap();
        assert_eq!(count, 0, "bad input creates nothing");
    }
}
