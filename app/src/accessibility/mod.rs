//! The accessibility statement's feedback form. Directive (EU) 2016/2102
//! asks a public body's site for a way to tell it of what is not accessible;
//! here it needs no account: a reader writes what stood in their way, and the
//! report reaches the site's administrators by mail (the configured contact
//! address, else every administrator account). Nothing of it is stored but the mail in
//! the outbox. The form works as a plain post; a problem comes back through
//! a short-lived flash cookie, as the signing form's do.
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// When the statement was last prepared (year, month, day): a new
/// assessment changes it here, and the statement says it in each language.
pub const STATEMENT_PREPARED: (i32, u8, u8) = (2026, 12, 4);

/// A report is a few paragraphs, not a document.
pub const MAX_MESSAGE_CHARS: usize = 5_000;

/// The fields as posted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeedbackValues {
    pub lang: String,
    /// What stood in the way.
    pub message: String,
    /// Where: a page address or a description; optional.
    pub page: String,
    /// Where an answer may go; optional (a report may be anonymous).
    pub reply_to: String,
    /// The honeypot: hidden from people, filled in by naive bots.
    pub website: String,
}

/// A problem with one field: the field's name and the interface-string key
/// of what to say next to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackProblem {
    pub field: String,
    pub key: String,
}

/// What a plain form post leaves for the page it returns to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackFlash {
    pub values: FeedbackValues,
    pub problems: Vec<FeedbackProblem>,
}

impl FeedbackFlash {
    /// A browser keeps a cookie of about 4 KB, name and attributes included:
    /// a flash whose encoding would pass this goes back without the message
    /// (and says so).
    pub const COOKIE_BYTES: usize = 3_600;

    /// The flash as it can travel: the message left out, and the reader told
    /// to paste it again, when the whole would not fit in a cookie.
    #[cfg(feature = "ssr")]
    pub fn fitting(mut self) -> Self {
        let json = serde_json::to_vec(&self).map_or(usize::MAX, |json| json.len());
        // Base64 makes four bytes of three.
        if json.saturating_mul(4) / 3 <= Self::COOKIE_BYTES {
            return self;
        }
        self.values.message.clear();
        let not_kept = "accessibility.error.message_not_kept";
        match self.problems.iter_mut().find(|p| p.field == "message") {
            // "Too long" says itself that the text was not kept.
            Some(problem) if problem.key == "accessibility.error.message_long" => {}
            Some(problem) => problem.key = not_kept.to_owned(),
            None => self.problems.push(FeedbackProblem {
                field: "message".to_owned(),
                key: not_kept.to_owned(),
            }),
        }
        self
    }

    pub fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.key.as_str())
    }
}

/// A report, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub message: String,
    pub page: Option<crate::domain::Line>,
    pub reply_to: Option<crate::domain::Email>,
    pub locale: Locale,
}

/// Checks the posted fields; every problem at once.
pub fn parse_feedback(values: &FeedbackValues) -> Result<Feedback, Vec<FeedbackProblem>> {
    use crate::domain::{Email, Line};
    let mut problems = Vec::new();
    let mut problem = |field: &str, key: &str| {
        problems.push(FeedbackProblem {
            field: field.to_owned(),
            key: key.to_owned(),
        })
    };
    // A browser posts a line break as CRLF but counts it as one character
    // for `maxlength`: counted (and sent) as one here too.
    let message = values.message.replace("\r\n", "\n");
    let message = message.trim();
    if message.is_empty() {
        problem("message", "accessibility.error.message_empty");
    } else if message.chars().count() > MAX_MESSAGE_CHARS {
        problem("message", "accessibility.error.message_long");
    } else if message
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        // PostgreSQL refuses a NUL in text; nobody types the others.
        problem("message", "accessibility.error.message_control");
    }
    let page = match values.page.trim() {
        "" => None,
        page => Line::parse(page)
            .map_err(|_| problem("page", "accessibility.error.page"))
            .ok(),
    };
    let reply_to = match values.reply_to.trim() {
        "" => None,
        address => Email::parse(address)
            .map_err(|_| problem("reply_to", "accessibility.error.reply_to"))
            .ok(),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Feedback {
        message: message.to_owned(),
        page,
        reply_to,
        locale: Locale::from_code(&values.lang).unwrap_or_default(),
    })
}

/// Sends a report to the administrators; back to the statement, which says
/// it was sent or what to mend.
#[server(prefix = "/api", endpoint = "accessibility/feedback")]
pub async fn send_accessibility_feedback(
    #[server(flatten)] form: FeedbackValues,
) -> Result<(), AppError> {
    on_server::send_from_form(form).await
}

/// The path the form posts to; the server rate-limits it per address.
pub const FEEDBACK_PATH: &str = <SendAccessibilityFeedback as leptos::server_fn::ServerFn>::PATH;

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::on_pool;
    use crate::server::cookies;
    use crate::server::db::{BeginWrite, Db};
    use crate::server::outbox::{Enqueue, NewMail};

    pub const FLASH_COOKIE: &str = "lumieres_accessibility";

    pub async fn send_from_form(form: FeedbackValues) -> Result<(), AppError> {
        use crate::server::context::{is_plain_form_post, redirect, request_parts, state};
        let state = state()?;
        let parts = request_parts()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let statement = locale.path("/accessibility", false);
        if !form.website.trim().is_empty() {
            let ip = crate::server::guard::client_ip(&parts, &state.client_address);
            tracing::info!(?ip, "honeypot field filled: accessibility report dropped");
            return redirect(&format!("{statement}?sent=1#feedback"));
        }
        let feedback = match parse_feedback(&form) {
            Ok(feedback) => feedback,
            Err(problems) => {
                let pairs: Vec<String> = problems
                    .iter()
                    .map(|p| format!("{}={}", p.field, p.key))
                    .collect();
                if is_plain_form_post(&parts.headers) {
                    let flash = FeedbackFlash {
                        values: form,
                        problems,
                    };
                    cookies::set_flash(FLASH_COOKIE, &flash.fitting());
                    redirect(&format!("{statement}#feedback"))?;
                }
                return Err(AppError::Invalid(pairs.join(", ")));
            }
        };
        let contact = state.accessibility_contact.as_deref();
        let sent = send(&state.db, contact, &feedback, crate::server::clock::now()).await?;
        if sent == 0 {
            tracing::error!(
                "an accessibility report has nobody to go to: set ACCESSIBILITY_CONTACT"
            );
            return Err(AppError::Internal);
        }
        redirect(&format!("{statement}?sent=1#feedback"))
    }

    /// The configured contact address, shown on the statement beside the
    /// form (for whoever the form itself fails).
    pub fn contact() -> Option<String> {
        crate::server::context::state()
            .ok()
            .and_then(|state| state.accessibility_contact)
    }

    /// The flash a plain post left, once.
    pub fn take_flash() -> Option<FeedbackFlash> {
        cookies::take_flash(FLASH_COOKIE, |_: &FeedbackFlash| true)
    }

    /// Queues the report for the contact address, or for every active
    /// administrator when none is configured; returns how many mails.
    pub async fn send(
        db: &Db,
        contact: Option<&str>,
        feedback: &Feedback,
        now: i64,
    ) -> Result<usize, sqlx::Error> {
        let subject = format!(
            "Accessibility report: {}",
            feedback
                .page
                .as_ref()
                .map(|p| p.as_str().to_owned())
                // One line (a subject is a header): the message's first words.
                .unwrap_or_else(|| {
                    let start: String = feedback.message.chars().take(60).collect();
                    crate::domain::Line::parse(&start)
                        .map(|line| line.as_str().to_owned())
                        .unwrap_or_default()
                })
        );
        let body = format!(
            "Someone reported an accessibility problem through the statement's form.\n\n\
             Page: {page}\nAnswer to: {reply}\nLanguage: {language}\n\n{message}\n",
            page = feedback.page.as_ref().map_or("(not given)", |p| p.as_str()),
            reply = feedback
                .reply_to
                .as_ref()
                .map_or("(no address given)", |a| a.as_str()),
            language = feedback.locale.code(),
            message = feedback.message,
        );
        on_pool!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let recipients: Vec<String> = match contact {
                Some(contact) => vec![contact.to_owned()],
                None => {
                    sqlx::query_scalar(
                        "SELECT email FROM users WHERE role = $1 AND NOT disabled ORDER BY id",
                    )
                    .bind(crate::domain::Role::Admin.slug())
                    .fetch_all(&mut *tx)
                    .await?
                }
            };
            let mails = NewMail::to_each(&recipients, &subject, &body);
            tx.enqueue_all(&mails, now).await?;
            tx.commit().await?;
            Ok(mails.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(message: &str) -> FeedbackValues {
        FeedbackValues {
            lang: "en".into(),
            message: message.into(),
            ..FeedbackValues::default()
        }
    }

    #[test]
    fn a_line_break_counts_as_one_character_as_in_the_browser() {
        // 2,000 lines: 6,000 characters as posted (CRLF), 4,000 as typed.
        let typed = "a\r\n".repeat(2_000);
        let feedback = parse_feedback(&values(&typed)).expect("within the limit");
        assert!(!feedback.message.contains('\r'));
        let too_long = "a\r\n".repeat(MAX_MESSAGE_CHARS / 2 + 1);
        assert_eq!(
            parse_feedback(&values(&too_long)).unwrap_err()[0].key,
            "accessibility.error.message_long"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_flash_too_big_for_a_cookie_leaves_the_message_out_and_says_so() {
        let problem = |key: &str| FeedbackProblem {
            field: "message".into(),
            key: key.into(),
        };
        let small = FeedbackFlash {
            values: values("short"),
            problems: vec![],
        };
        assert_eq!(small.clone().fitting(), small);
        // Quotes and line breaks grow in JSON: the encoded size counts.
        let big = FeedbackFlash {
            values: values(&"\"\n".repeat(700)),
            problems: vec![problem("accessibility.error.message_control")],
        }
        .fitting();
        assert_eq!(big.values.message, "");
        assert_eq!(
            big.problem("message"),
            Some("accessibility.error.message_not_kept")
        );
        let long = FeedbackFlash {
            values: values(&"x".repeat(MAX_MESSAGE_CHARS + 1)),
            problems: vec![problem("accessibility.error.message_long")],
        }
        .fitting();
        assert_eq!(long.values.message, "");
        assert_eq!(
            long.problem("message"),
            Some("accessibility.error.message_long")
        );
    }
}
