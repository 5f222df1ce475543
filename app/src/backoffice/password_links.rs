//! The one-time link a staff member chooses a password through: written
//! (only its token's SHA-256 kept) and mailed through the outbox in the
//! caller's transaction, for a new account (`accounts`) or a reset
//! (`passwords`), which also reads and uses it.
use crate::i18n::Locale;
use crate::server::outbox::{Enqueue, NewMail};
use crate::server::tokens::{new_token, token_hash};

/// How long a mailed link works.
pub const LINK_SECONDS: i64 = 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// A new account's first password.
    Welcome,
    /// A new password for an existing account.
    Reset,
}

impl LinkPurpose {
    pub fn slug(self) -> &'static str {
        match self {
            LinkPurpose::Welcome => "welcome",
            LinkPurpose::Reset => "reset",
        }
    }
}

/// A link to mail: to whom, why, and where the pages are.
#[derive(Debug, Clone)]
pub struct PasswordLink<'a> {
    pub user_id: i64,
    pub email: &'a str,
    pub name: &'a str,
    pub purpose: LinkPurpose,
    pub base_url: &'a str,
    pub locale: Locale,
}

/// The mail that carries a link, in the staff member's language.
pub fn password_mail(link: &PasswordLink<'_>, token: &str) -> (String, String) {
    let base = link.base_url.trim_end_matches('/');
    let url = format!(
        "{base}{}?token={token}",
        link.locale.path("/staff/password", false)
    );
    let kind = link.purpose.slug();
    let subject = link.locale.t(&format!("mail.password_subject_{kind}"));
    let body = link
        .locale
        .t(&format!("mail.password_body_{kind}"))
        .replace("%{name}", link.name)
        .replace("%{url}", &url);
    (subject, body)
}

/// Writes a link and queues its mail, inside the caller's transaction.
pub trait MailPasswordLink {
    fn mail_password_link(
        &mut self,
        link: &PasswordLink<'_>,
        now: i64,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

crate::impl_for_connections! {
    impl MailPasswordLink {
        async fn mail_password_link(&mut self, link: &PasswordLink<'_>, now: i64) -> Result<(), sqlx::Error> {
            let token = new_token();
            sqlx::query(
                "INSERT INTO password_links (token_hash, user_id, purpose, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash(&token))
            .bind(link.user_id)
            .bind(link.purpose.slug())
            .bind(now)
            .bind(now + LINK_SECONDS)
            .execute(&mut *self)
            .await?;
            let (subject, body) = password_mail(link, &token);
            let mail = NewMail { recipient: link.email, subject: &subject, body_text: &body, list_unsubscribe: None, about: None };
            self.enqueue(&mail, now).await
        }
    }
}
