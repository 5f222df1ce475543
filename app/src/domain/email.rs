//! `Email`: an address as the signer typed it (trimmed), checked for syntax
//! by the `email_address` crate, plus the canonical form used to sign once.
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("an email address is needed")]
    Empty,
    #[error("an email address is at most {max} characters", max = Email::MAX_LEN)]
    TooLong,
    #[error("this is not an email address")]
    Invalid,
}

impl Email {
    /// RFC 5321's limit on a forward path.
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        // A bare address only: no display name ("Name <a@b.org>"), no spaces.
        if trimmed
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
        {
            return Err(EmailError::Invalid);
        }
        let parsed =
            email_address::EmailAddress::from_str(trimmed).map_err(|_| EmailError::Invalid)?;
        // Mail to a bare host ("me@localhost") or an address literal never
        // reaches a signer; refuse them here rather than bounce later.
        let domain = parsed.domain();
        if !domain.contains('.') || domain.starts_with('[') {
            return Err(EmailError::Invalid);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Lowercase, with any `+tag` removed from the local part: `Name+x@Example.org`
    /// and `name@example.org` are one signer.
    pub fn canonical(&self) -> String {
        let lower = self.0.to_lowercase();
        match lower.rsplit_once('@') {
            Some((local, domain)) => {
                let local = local
                    .split('+')
                    .next()
                    .filter(|l| !l.is_empty())
                    .unwrap_or(local);
                format!("{local}@{domain}")
            }
            None => lower,
        }
    }

    /// The domain, lowercase: for reports on bursts from one provider.
    pub fn domain(&self) -> String {
        self.0
            .rsplit_once('@')
            .map(|(_, d)| d.to_lowercase())
            .unwrap_or_default()
    }
}

text_newtype!(Email, EmailError);

/// Addresses are personal data: never printed whole in logs or panics.
impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Email(…@{})", self.domain())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn canonical_form_folds_case_and_tags() {
        let a = Email::parse("Name+x@Example.org").unwrap();
        let b = Email::parse(" name@example.org ").unwrap();
        assert_eq!(a.canonical(), "name@example.org");
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(
            a.as_str(),
            "Name+x@Example.org",
            "kept as typed for sending"
        );
        assert_eq!(Email::parse("a+b+c@x.be").unwrap().canonical(), "a@x.be");
        assert_eq!(Email::parse("+tag@x.be").unwrap().canonical(), "+tag@x.be");
    }

    #[test]
    fn refuses_what_is_not_a_mailbox() {
        assert_eq!(Email::parse("  "), Err(EmailError::Empty));
        for bad in [
            "name",
            "name@",
            "@example.org",
            "a b@example.org",
            "me@localhost",
            "Name <a@b.org>",
            "a@[127.0.0.1]",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Invalid), "{bad}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn debug_output_hides_the_address() {
        let shown = format!("{:?}", Email::parse("loujain@example.org").unwrap());
        assert!(!shown.contains("loujain"), "{shown}");
    }

    proptest! {
        #[test]
        fn canonical_is_idempotent(local in "[a-zA-Z0-9]{1,20}", tag in "[a-z0-9]{0,8}", domain in "[a-zA-Z]{1,10}\\.(org|be|com)") {
            let typed = if tag.is_empty() { format!("{local}@{domain}") } else { format!("{local}+{tag}@{domain}") };
            if let Ok(email) = Email::parse(&typed) {
                let canonical = email.canonical();
                prop_assert_eq!(Email::parse(&canonical).unwrap().canonical(), canonical.clone());
                prop_assert_eq!(canonical, format!("{}@{}", local.to_lowercase(), domain.to_lowercase()));
            }
        }
    }
}
