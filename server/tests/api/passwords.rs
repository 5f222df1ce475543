//! Staff passwords are their own, over real HTTP on both backends: one-time
//! links mailed for a new account, an administrator's reset and a locked-out
//! owner; changing one's own password ends the other sessions.
use crate::helpers::{count, post_as, staff_account, staff_member, TestApp, PASSWORD};
use crate::on_both_backends;
use app::domain::Role;
use app::on_pool;

const NEW_PASSWORD: &str = "another long passphrase";

/// The newest mail queued for `recipient`: (subject, body).
async fn last_mail_to(app: &TestApp, recipient: &str) -> Option<(String, String)> {
    app.mails_to(recipient)
        .await
        .pop()
        .map(|mail| (mail.subject, mail.body_text))
}

async fn mails_to(app: &TestApp, recipient: &str) -> i64 {
    app.mails_to(recipient).await.len() as i64
}

/// The link in a password mail, as path and query on this site.
fn link_in(app: &TestApp, body: &str) -> String {
    body.split_whitespace()
        .find(|word| word.contains("/staff/password?token="))
        .and_then(|url| url.strip_prefix(&app.address))
        .expect("a password link to this site")
        .to_owned()
}

fn token_of(link: &str) -> String {
    link.split_once("token=").unwrap().1.to_owned()
}

async fn log_in(app: &TestApp, email: &str, password: &str) -> crate::helpers::Page {
    app.post_form(
        "/api/login",
        "/staff/login",
        &[
            ("email", email),
            ("password", password),
            ("next", "/staff"),
            ("lang", "en"),
        ],
    )
    .await
}

/// The link's form, posted in the language of the link's page.
async fn set_password(
    app: &TestApp,
    link: &str,
    password: &str,
    repeat: &str,
) -> crate::helpers::Page {
    let lang = ["fr", "nl"]
        .into_iter()
        .find(|l| link.starts_with(&format!("/{l}/")))
        .unwrap_or("en");
    let fields = [
        ("token", token_of(link)),
        ("new_password", password.to_owned()),
        ("repeat_password", repeat.to_owned()),
        ("lang", lang.to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form("/api/password/set", link, &fields).await
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    on_pool!(&app.store.db, |pool| sqlx::query_scalar(
        "SELECT id FROM users WHERE email = $1"
    )
    .bind(email)
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn audit_actions(app: &TestApp, user: i64) -> Vec<String> {
    on_pool!(&app.store.db, |pool| sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE record_type = 'user' AND record_id = $1 ORDER BY id"
    )
    .bind(user.to_string())
    .fetch_all(pool)
    .await)
    .unwrap()
}

on_both_backends! {
    async fn an_administrator_never_types_a_colleagues_password(app: &TestApp) {
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let email = "new.member@brussels.example";
        let created = post_as(app, &admin, "/api/staff/create-account", "/fr/staff/accounts", &[
            ("lang", "fr"), ("email", email), ("name", "Nouvelle Conseillère"), ("role", "council"), ("municipality", "brussels"),
        ]).await;
        assert_eq!(created.location().as_deref(), Some("/fr/staff/accounts"));
        let page = app.get_with("/fr/staff/accounts", &[("cookie", &admin)]).await;
        assert!(page.texts(".notice")[0].starts_with("Compte créé. Un lien à usage unique"), "{:?}", page.texts(".notice"));
        assert_eq!(page.attr("#user-password", "name"), None, "no password field for the administrator");

        // The new colleague gets a mail in the administrator's language, with a link.
        let (subject, body) = last_mail_to(app, email).await.expect("a mail to the new account");
        assert_eq!(subject, "Votre compte Lumières : choisissez votre mot de passe");
        assert!(body.starts_with("Bonjour Nouvelle Conseillère,"), "{body}");
        let link = link_in(app, &body);
        assert!(link.starts_with("/fr/staff/password?token="), "{link}");
        let stored: i64 = count(app, "SELECT COUNT(*) FROM password_links").await;
        assert_eq!(stored, 1);
        let token = token_of(&link);
        let hash: String = on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT token_hash FROM password_links").fetch_one(pool).await).unwrap();
        assert_ne!(hash, token, "only the token's hash is stored");
        assert_eq!(log_in(app, email, &token).await.location().as_deref(), Some("/staff/login?next=%2Fstaff"), "the account opens to no password before one is chosen");

        // The page of the link: whose account, never cached, never told to another site.
        let choose = app.get(&link).await;
        assert_eq!(choose.status, 200);
        assert_eq!(choose.texts("h1"), ["Choisissez votre mot de passe"]);
        assert_eq!(choose.headers.get("cache-control").unwrap(), "private, no-store");
        assert_eq!(choose.headers.get("referrer-policy").unwrap(), "same-origin");

        // Bad input: a clear message, nothing changed, the link still works.
        for (password, repeat, field, message) in [
            ("short", "short", "new_password", "Le mot de passe doit compter au moins 12 caractères."),
            (NEW_PASSWORD, "another long passphrasE", "repeat_password", "Les deux mots de passe diffèrent : tapez deux fois le même."),
        ] {
            let fields = [("token", token.as_str()), ("new_password", password), ("repeat_password", repeat), ("lang", "fr")];
            let refused = app.post_form("/api/password/set", &link, &fields).await;
            assert_eq!(refused.location().as_deref(), Some(link.as_str()));
            let flash = refused.cookie("lumieres_password").expect("the reason travels in a cookie");
            let again = app.get_with(&link, &[("cookie", &flash)]).await;
            assert_eq!(again.texts(&format!("#password-link-{field}-error")), [message]);
            assert!(!again.body.contains(password), "a password is never shown again");
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM password_links").await, 1);

        // The right password: logged in at once, and the link is spent.
        let chosen = set_password(app, &link, NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(chosen.location().as_deref(), Some("/fr/staff"));
        let session = chosen.cookie("lumieres_session").expect("logged in");
        // A council member: her own account page first, to set up a second factor.
        let persons = app.get_with("/staff/persons", &[("cookie", &session)]).await;
        assert_eq!(persons.location().as_deref(), Some("/staff/account#second-factor"));
        assert_eq!(log_in(app, email, NEW_PASSWORD).await.location().as_deref(), Some("/staff"));
        let spent = app.get(&link).await;
        assert_eq!(spent.texts("[role=alert]"), ["Ce lien ne fonctionne plus : il a déjà servi, il a plus de 24 heures, ou le compte est désactivé."]);
        let replay = set_password(app, &link, "a third long passphrase", "a third long passphrase").await;
        assert_eq!(replay.cookie("lumieres_session"), None, "a used link opens nothing");
        assert_eq!(log_in(app, email, "a third long passphrase").await.location().as_deref(), Some("/staff/login?next=%2Fstaff"));

        let id = user_id(app, email).await;
        assert_eq!(audit_actions(app, id).await, ["user.create", "user.password_set"]);

        // A reset by the administrator mails a new link; the current password
        // keeps working until the link is used, and then every session ends.
        let id_text = id.to_string();
        let reset = post_as(app, &admin, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &id_text), ("change", "password")]).await;
        assert_eq!(reset.location().as_deref(), Some("/staff/accounts"));
        let (subject, body) = last_mail_to(app, email).await.unwrap();
        assert_eq!(subject, "Lumières: choose a new password");
        let link = link_in(app, &body);
        assert_eq!(app.get(&link).await.texts("h1"), ["Choose a new password"]);
        assert_eq!(app.get_with("/staff/account", &[("cookie", &session)]).await.status, 200, "nothing changes until the link is used");
        assert_eq!(set_password(app, &link, "a third long passphrase", "a third long passphrase").await.location().as_deref(), Some("/staff"));
        assert_eq!(app.get_with("/staff/account", &[("cookie", &session)]).await.status, 302, "the older session ended");
        assert_eq!(log_in(app, email, NEW_PASSWORD).await.location().as_deref(), Some("/staff/login?next=%2Fstaff"));
        assert_eq!(audit_actions(app, id).await, ["user.create", "user.password_set", "user.password_link", "user.password_set"]);

        // Links last 24 hours; a disabled account's link opens nothing.
        post_as(app, &admin, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &id_text), ("change", "password")]).await;
        let link = link_in(app, &last_mail_to(app, email).await.unwrap().1);
        on_pool!(&app.store.db, |pool| sqlx::query("UPDATE password_links SET expires_at = 0").execute(pool).await.map(|_| ())).unwrap();
        assert_eq!(set_password(app, &link, NEW_PASSWORD, NEW_PASSWORD).await.cookie("lumieres_session"), None, "an expired link opens nothing");
        post_as(app, &admin, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &id_text), ("change", "password")]).await;
        let link = link_in(app, &last_mail_to(app, email).await.unwrap().1);
        post_as(app, &admin, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &id_text), ("change", "disable")]).await;
        assert_eq!(set_password(app, &link, NEW_PASSWORD, NEW_PASSWORD).await.cookie("lumieres_session"), None, "a disabled account's link opens nothing");
        post_as(app, &admin, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &id_text), ("change", "enable")]).await;
        assert_eq!(set_password(app, &link, NEW_PASSWORD, NEW_PASSWORD).await.cookie("lumieres_session"), None, "enabling again brings no old link back");
        post_as(app, &admin, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &id_text), ("change", "disable")]).await;
        let mails = mails_to(app, email).await;
        let refused = post_as(app, &admin, "/api/staff/change-account", "/staff/accounts", &[("lang", "en"), ("account", &id_text), ("change", "password")]).await;
        assert_eq!(refused.status, 302);
        assert_eq!(app.get_with("/staff/accounts", &[("cookie", &admin)]).await.texts(&format!("#account-{id} .field-error")), ["This account is disabled: enable it first."]);
        assert_eq!(mails_to(app, email).await, mails, "no mail for a disabled account");
    }

    async fn two_clicks_on_one_link_at_once_set_one_password(app: &TestApp) {
        let admin = staff_member(app, "admin@brussels.example", Role::Admin, None).await;
        let email = "comms@brussels.example";
        post_as(app, &admin, "/api/staff/create-account", "/staff/accounts", &[
            ("lang", "en"), ("email", email), ("name", "Comms"), ("role", "comms"), ("municipality", ""),
        ]).await;
        let link = link_in(app, &last_mail_to(app, email).await.unwrap().1);
        let passwords: Vec<String> = (0..6).map(|i| format!("racing passphrase number {i}")).collect();
        let answers = futures::future::join_all(passwords.iter().map(|p| set_password(app, &link, p, p))).await;
        let winners: Vec<&String> = passwords.iter().zip(&answers).filter(|(_, a)| a.cookie("lumieres_session").is_some()).map(|(p, _)| p).collect();
        assert_eq!(winners.len(), 1, "one use of a single-use link");
        // Checked against the stored hash, not by logging in: five wrong
        // passwords in a row would lock the account before the winner's turn.
        let stored: String = on_pool!(&app.store.db, |pool| sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(pool)
            .await)
        .unwrap();
        let working: Vec<&String> = passwords.iter().filter(|p| app::backoffice::accounts::verify_password(&stored, p)).collect();
        assert_eq!(working, winners, "the password set is the winner's");
    }

    async fn a_locked_out_owner_gets_in_through_a_mailed_link(app: &TestApp) {
        let email = "camille@brussels.example";
        staff_account(app, email, "Camille Leroy", Role::Council, Some("brussels")).await;
        // A stranger's guesses lock the account.
        for _ in 0..6 {
            log_in(app, email, "a wrong guess of a password").await;
        }
        let locked = log_in(app, email, PASSWORD).await;
        let flash = locked.cookie("lumieres_login").unwrap();
        let login = app.get_with("/staff/login", &[("cookie", &flash)]).await;
        assert_eq!(login.texts("#login-problem"), ["Too many failed logins for this account or from this connection. Wait 15 minutes and try again, or get a one-time link by mail."]);
        assert_eq!(login.attr("p.forgot a", "href").as_deref(), Some("/staff/password/forgot"));

        // The owner asks for a link; the answer says nothing of who has an account.
        let asked = app.post_form("/api/password/forgot", "/nl/staff/password/forgot", &[("email", "Camille@Brussels.example"), ("lang", "nl")]).await;
        assert_eq!(asked.location().as_deref(), Some("/nl/staff/password/forgot?sent=1"));
        let stranger = app.post_form("/api/password/forgot", "/nl/staff/password/forgot", &[("email", "nobody@brussels.example"), ("lang", "nl")]).await;
        assert_eq!(stranger.location(), asked.location(), "the same answer for an unknown address");
        assert_eq!(mails_to(app, "nobody@brussels.example").await, 0);
        let sent = app.get("/nl/staff/password/forgot?sent=1").await;
        assert!(sent.texts("[role=status]")[0].starts_with("Als een account dit adres heeft"));
        // Asking again at once mails nothing more: the form floods no mailbox.
        app.post_form("/api/password/forgot", "/staff/password/forgot", &[("email", email), ("lang", "en")]).await;
        assert_eq!(mails_to(app, email).await, 1);

        let (subject, body) = last_mail_to(app, email).await.unwrap();
        assert_eq!(subject, "Lumières: kies een nieuw wachtwoord");
        let link = link_in(app, &body);
        assert!(link.starts_with("/nl/staff/password?token="));
        let chosen = set_password(app, &link, NEW_PASSWORD, NEW_PASSWORD).await;
        // The link proves the mailbox, not the phone: the code is still asked.
        assert_eq!(chosen.location().as_deref(), Some("/nl/staff/login/code?next=%2Fnl%2Fstaff"));
        let waiting = chosen.cookie("lumieres_session").unwrap();
        assert_eq!(app.get_with("/staff/persons", &[("cookie", &waiting)]).await.status, 302);
        let full = crate::helpers::second_step(app, &waiting, email).await;
        assert_eq!(app.get_with("/staff/persons", &[("cookie", &full)]).await.status, 200);
        assert_eq!(log_in(app, email, NEW_PASSWORD).await.location().as_deref(), Some("/staff/login/code?next=%2Fstaff"), "the guesses no longer lock the owner out");
    }

    async fn staff_change_their_own_password_and_their_other_sessions_end(app: &TestApp) {
        let email = "comms@brussels.example";
        let here = staff_member(app, email, Role::Comms, None).await;
        let elsewhere = log_in(app, email, PASSWORD).await.cookie("lumieres_session").unwrap();
        let page = app.get_with("/staff/account", &[("cookie", &here)]).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.texts("h2"), ["Change your password", "Second factor"]);
        assert_eq!(app.get("/staff/account").await.status, 302, "anonymous: to the login page");

        let change = |current: &'static str, new: &'static str, repeat: &'static str| {
            let here = here.clone();
            async move {
                post_as(app, &here, "/api/staff/change-password", "/staff/account", &[
                    ("current_password", current), ("new_password", new), ("repeat_password", repeat), ("lang", "en"),
                ]).await
            }
        };
        for (current, new, repeat, field, message) in [
            ("not my password at all", NEW_PASSWORD, NEW_PASSWORD, "current_password", "The current password is wrong."),
            (PASSWORD, "short", "short", "new_password", "The password needs at least 12 characters."),
            (PASSWORD, NEW_PASSWORD, "different passphrase", "repeat_password", "The two passwords differ: type the same one twice."),
        ] {
            change(current, new, repeat).await;
            let page = app.get_with("/staff/account", &[("cookie", &here)]).await;
            assert_eq!(page.texts(&format!("#own-password-{field}-error")), [message]);
            assert!(!page.body.contains(current) && !page.body.contains(new), "no password shown again");
        }
        assert_eq!(log_in(app, email, PASSWORD).await.location().as_deref(), Some("/staff"), "nothing changed");
        // A typo in the new password is no failed login: many do not lock the owner out.
        for _ in 0..6 {
            change(PASSWORD, "short", "short").await;
        }
        assert_eq!(log_in(app, email, PASSWORD).await.location().as_deref(), Some("/staff"), "not locked by typos");

        change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
        let page = app.get_with("/staff/account", &[("cookie", &here)]).await;
        assert_eq!(page.texts(".notice"), ["Password changed. Your other sessions have ended."]);
        assert_eq!(app.get_with("/staff/persons", &[("cookie", &elsewhere)]).await.status, 302, "the other session ended");
        assert_eq!(log_in(app, email, PASSWORD).await.location().as_deref(), Some("/staff/login?next=%2Fstaff"));
        assert_eq!(log_in(app, email, NEW_PASSWORD).await.location().as_deref(), Some("/staff"));
        let id = user_id(app, email).await;
        assert_eq!(audit_actions(app, id).await, ["user.create", "user.password_change"]);

        // A borrowed session cannot guess the password: the guesses count as failed logins.
        for _ in 0..6 {
            change("a guess at the password", "whatever long enough", "whatever long enough").await;
        }
        let page = app.get_with("/staff/account", &[("cookie", &here)]).await;
        assert_eq!(page.texts("#own-password-current_password-error"), ["Too many failed logins for this account or from this connection. Wait 15 minutes and try again, or get a one-time link by mail."]);
    }
}
