//! The signing form, as posted and as parsed. Shared by the server function,
//! the action page (a plain form post comes back through a flash cookie) and
//! the island, so every problem is worded once, next to its field.
use super::SignatureRequest;
use crate::domain::{CountryCode, Email, EmailError, Line, PersonName, PersonNameError, Slug};
use crate::i18n::Locale;
use serde::{Deserialize, Serialize};

/// The fields exactly as posted. Field names avoid `action` and `name`, which
/// shadow a form element's own properties in the DOM.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignFormValues {
    pub support_action: String,
    pub lang: String,
    pub full_name: String,
    pub email: String,
    pub place: String,
    pub country: String,
    /// Checkboxes: present ("on") when ticked, absent otherwise.
    pub consent: String,
    pub show_name: String,
    pub keep_informed: String,
    /// The honeypot: hidden from people, filled in by naive bots.
    pub website: String,
}

impl SignFormValues {
    pub fn ticked(value: &str) -> bool {
        !value.is_empty()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignField {
    FullName,
    Email,
    Place,
    Country,
    Consent,
}

impl SignField {
    /// The `name` of the form control, also the stem of its ids.
    pub fn control(self) -> &'static str {
        match self {
            SignField::FullName => "full_name",
            SignField::Email => "email",
            SignField::Place => "place",
            SignField::Country => "country",
            SignField::Consent => "consent",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: SignField,
    /// A translation key under `sign.error`.
    pub message: String,
}

/// What the signer is shown after posting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignResult {
    /// "Check your mail": the same whether or not the address had signed before.
    Accepted,
    Invalid(Vec<FieldError>),
    /// The action closed (or never existed) between showing the form and posting it.
    NotOpen,
    /// Our fault: nothing was recorded; trying again is safe.
    Failed,
}

impl SignResult {
    pub fn error_for(&self, field: SignField) -> Option<&str> {
        match self {
            SignResult::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.as_str()),
            _ => None,
        }
    }
}

/// What a plain form post leaves for the page it is redirected to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignFlash {
    pub action: String,
    pub values: SignFormValues,
    pub result: SignResult,
}

/// Parses the posted fields. Every problem is reported at once, each next to
/// its field; the country is checked against the database later.
pub fn parse_signature_form(
    values: &SignFormValues,
    client_ip: Option<std::net::IpAddr>,
) -> Result<SignatureRequest, SignResult> {
    let mut errors = Vec::new();
    let mut fail = |field, key: &str| {
        errors.push(FieldError {
            field,
            message: format!("sign.error.{key}"),
        })
    };
    let action = Slug::parse(values.support_action.trim());
    let name = PersonName::parse(&values.full_name).map_err(|e| match e {
        PersonNameError::Empty => "name_required",
        PersonNameError::TooLong => "name_too_long",
        PersonNameError::ForbiddenCharacters => "name_characters",
    });
    if let Err(key) = &name {
        fail(SignField::FullName, key);
    }
    let email = Email::parse(&values.email).map_err(|e| match e {
        EmailError::Empty => "email_required",
        EmailError::TooLong | EmailError::Invalid => "email_invalid",
    });
    if let Err(key) = &email {
        fail(SignField::Email, key);
    }
    let place = match values.place.trim() {
        "" => Ok(None),
        typed => Line::parse(typed).map(Some).map_err(|_| "place_invalid"),
    };
    if let Err(key) = &place {
        fail(SignField::Place, key);
    }
    let country = match values.country.trim() {
        "" => Ok(None),
        code => CountryCode::parse(code)
            .map(Some)
            .map_err(|_| "country_unknown"),
    };
    if let Err(key) = &country {
        fail(SignField::Country, key);
    }
    if !SignFormValues::ticked(&values.consent) {
        fail(SignField::Consent, "consent_required");
    }
    let Ok(action) = action else {
        return Err(SignResult::NotOpen);
    };
    match (name, email, place, country) {
        (Ok(name), Ok(email), Ok(place), Ok(country)) if errors.is_empty() => {
            Ok(SignatureRequest {
                action,
                name,
                email,
                place,
                country,
                show_name: SignFormValues::ticked(&values.show_name),
                keep_informed: SignFormValues::ticked(&values.keep_informed),
                locale: Locale::from_code(&values.lang).unwrap_or_default(),
                client_ip,
            })
        }
        _ => Err(SignResult::Invalid(errors)),
    }
}

impl SignFlash {
    /// The values worth showing again: never the honeypot.
    pub fn keepable(values: SignFormValues) -> SignFormValues {
        SignFormValues {
            website: String::new(),
            ..values
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> SignFormValues {
        SignFormValues {
            support_action: "solidarity-with-vahid-afkari".into(),
            lang: "nl".into(),
            full_name: "  Amélie   Dupont ".into(),
            email: "Amelie+petition@Example.org".into(),
            place: "1000".into(),
            country: "BE".into(),
            consent: "on".into(),
            show_name: "on".into(),
            keep_informed: String::new(),
            website: String::new(),
        }
    }

    #[test]
    fn a_valid_form_becomes_a_request() {
        let request = parse_signature_form(&valid(), None).unwrap();
        assert_eq!(request.name.as_str(), "Amélie Dupont");
        assert_eq!(request.email.canonical(), "amelie@example.org");
        assert_eq!(request.place.unwrap().as_str(), "1000");
        assert_eq!(request.country.unwrap().as_str(), "BE");
        assert!(request.show_name);
        assert!(!request.keep_informed);
        assert_eq!(request.locale, Locale::Nl);
    }

    #[test]
    fn every_problem_is_reported_next_to_its_field() {
        let form = SignFormValues {
            full_name: " ".into(),
            email: "not an address".into(),
            place: "x".repeat(Line::MAX_CHARS + 1),
            country: "Belgium".into(),
            consent: String::new(),
            ..valid()
        };
        let Err(SignResult::Invalid(errors)) = parse_signature_form(&form, None) else {
            panic!("invalid form accepted");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                SignField::FullName,
                SignField::Email,
                SignField::Place,
                SignField::Country,
                SignField::Consent
            ]
        );
        assert_eq!(errors[0].message, "sign.error.name_required");
        assert_eq!(errors[4].message, "sign.error.consent_required");
        for error in &errors {
            for locale in Locale::ALL {
                let text = locale.t(&error.message);
                assert_ne!(text, error.message, "{locale:?} lacks {}", error.message);
            }
        }
    }

    #[test]
    fn optional_fields_may_be_left_empty() {
        let form = SignFormValues {
            place: String::new(),
            country: String::new(),
            show_name: String::new(),
            ..valid()
        };
        let request = parse_signature_form(&form, None).unwrap();
        assert_eq!(request.place, None);
        assert_eq!(request.country, None);
        assert!(!request.show_name);
    }

    #[test]
    fn a_garbled_action_is_not_open() {
        let form = SignFormValues {
            support_action: "../../etc".into(),
            ..valid()
        };
        assert_eq!(
            parse_signature_form(&form, None).unwrap_err(),
            SignResult::NotOpen
        );
    }
}
