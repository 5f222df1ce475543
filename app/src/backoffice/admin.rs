//! The administrator: staff accounts (list, create, disable, change roles),
//! the audit log (the reader; every feature writes through
//! `server::audit`) and the log of signers' requests for their data
//! (`privacy`). Only administrators may call these, on every call.
use super::forms::FormFlash;
use super::StaffUser;
use crate::api::MunicipalityRef;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const USER_FORM: &str = "user";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub municipality: Option<MunicipalityRef>,
    pub disabled: bool,
    /// Communications staff: the languages they translate into.
    pub translates: Vec<Locale>,
    pub second_factor: super::SecondFactor,
    /// An administrator asked one of this account (communications staff).
    pub second_factor_required: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountsPage {
    pub user: StaffUser,
    pub accounts: Vec<AccountRow>,
    pub municipalities: Vec<MunicipalityRef>,
    pub flash: Option<FormFlash>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewAccountForm {
    pub lang: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub municipality: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEntryView {
    pub id: i64,
    pub user_id: Option<i64>,
    /// `None`: not a staff member (the command line).
    pub user_name: Option<String>,
    /// `staff` or `cli`.
    pub actor: String,
    /// Unix seconds.
    pub at: i64,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub user: StaffUser,
    pub entries: Vec<AuditEntryView>,
    /// For the filter: every account.
    pub accounts: Vec<(i64, String)>,
    /// The id to ask for the next (older) page with, if there is one.
    pub older: Option<i64>,
}

/// Marks a communications staff member as translating into some languages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TranslatorForm {
    pub lang: String,
    pub account: String,
    pub languages: Vec<String>,
}

#[server(prefix = "/api/staff", endpoint = "set-translator-languages")]
pub async fn set_translator_languages(
    #[server(flatten)] form: TranslatorForm,
) -> Result<(), AppError> {
    let admin = require(Permission::ManageAccounts).await?;
    on_server::set_translator(&admin, form).await
}

#[server(prefix = "/api/staff", endpoint = "accounts")]
pub async fn staff_accounts() -> Result<AccountsPage, AppError> {
    use super::forms::on_server::take_form_flash;
    let user = require(Permission::ManageAccounts).await?;
    let db = crate::server::context::db()?;
    Ok(AccountsPage {
        user,
        accounts: on_server::accounts_with_translators(&db).await?,
        municipalities: crate::api::places::on_server::municipalities(&db).await?,
        flash: take_form_flash().await,
    })
}

#[server(prefix = "/api/staff", endpoint = "create-account")]
pub async fn create_account(#[server(flatten)] form: NewAccountForm) -> Result<(), AppError> {
    let user = require(Permission::ManageAccounts).await?;
    on_server::create(&user, form).await
}

/// `change` is `disable`, `enable`, `role` (with `role` and, for a council
/// member, `municipality`), `password` (mail the owner a one-time link),
/// `second-factor-reset` (a lost one: removed, the owner mailed),
/// `second-factor-require` or `second-factor-optional` (communications staff).
#[server(prefix = "/api/staff", endpoint = "change-account")]
pub async fn change_account(
    lang: String,
    account: i64,
    change: String,
    #[server(default)] role: String,
    #[server(default)] municipality: String,
) -> Result<(), AppError> {
    let user = require(Permission::ManageAccounts).await?;
    on_server::change(&user, &lang, account, &change, &role, &municipality).await
}

#[server(prefix = "/api/staff", endpoint = "audit")]
pub async fn audit_log(
    #[server(default)] user: Option<i64>,
    #[server(default)] record_type: String,
    #[server(default)] record_id: String,
    #[server(default)] before: Option<i64>,
) -> Result<AuditPage, AppError> {
    use on_server::{entries, AuditFilter, PAGE_SIZE};
    let admin = require(Permission::ReadAuditLog).await?;
    let db = crate::server::context::db()?;
    let text = |s: String| {
        let s = s.trim().to_owned();
        (!s.is_empty()).then_some(s)
    };
    let filter = AuditFilter {
        user_id: user,
        record_type: text(record_type),
        record_id: text(record_id),
        before_id: before,
    };
    let rows = entries(&db, &filter).await?;
    let older = (rows.len() as i64 == PAGE_SIZE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(AuditPage {
        user: admin,
        entries: rows,
        accounts: on_server::accounts(&db)
            .await?
            .into_iter()
            .map(|a| (a.id, format!("{} <{}>", a.name, a.email)))
            .collect(),
        older,
    })
}

/// The log of signers' requests for their data, as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataRequestsPage {
    pub user: StaffUser,
    pub requests: Vec<crate::privacy::LoggedRequest>,
}

/// The requests kept (three years), newest first: when, the day the answer
/// is due, what became of each; never whose.
#[server(prefix = "/api/staff", endpoint = "data-requests")]
pub async fn data_request_log() -> Result<DataRequestsPage, AppError> {
    let user = require(Permission::ReadDataRequests).await?;
    let db = crate::server::context::db()?;
    let requests = crate::privacy::on_server::log(&db, crate::server::clock::now()).await?;
    Ok(DataRequestsPage { user, requests })
}

#[cfg(feature = "ssr")]
use {super::session::on_server::require, crate::domain::Permission};

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::accounts::{self, AccountChange, AccountError, FirstPassword, NewUser};
    use crate::backoffice::forms::on_server::{done, refuse};
    use crate::backoffice::forms::Problems;
    use crate::backoffice::passwords::on_server::{mail_reset_link, Account};
    use crate::domain::{Email, PersonName, Slug};
    use crate::on_pool;
    use crate::server::db::{decode, stored_slug, Db};

    pub async fn accounts(db: &Db) -> Result<Vec<AccountRow>, sqlx::Error> {
        accounts::list_users(db)
            .await?
            .into_iter()
            .map(|u| {
                Ok(AccountRow {
                    id: u.id,
                    email: u.email,
                    name: u.name,
                    role: Role::parse(&u.role).map_err(|e| decode(e.to_string()))?,
                    municipality: match (
                        u.municipality_slug,
                        u.municipality_name,
                        u.municipality_name_lang,
                    ) {
                        (Some(slug), Some(name), Some(lang)) => Some(MunicipalityRef {
                            slug: stored_slug(&slug)?,
                            name: crate::records::translations::stored_text(name, &lang)?,
                        }),
                        _ => None,
                    },
                    disabled: u.disabled,
                    translates: Vec::new(),
                    second_factor_required: u.second_factor_required,
                    second_factor: {
                        let role = Role::parse(&u.role).map_err(|e| decode(e.to_string()))?;
                        crate::backoffice::SecondFactor::of(
                            role,
                            u.second_factor_required,
                            u.second_factor_set,
                        )
                    },
                })
            })
            .collect()
    }

    /// Every account, with the languages each translator translates into.
    pub async fn accounts_with_translators(db: &Db) -> Result<Vec<AccountRow>, sqlx::Error> {
        let mut rows = accounts(db).await?;
        for row in rows.iter_mut().filter(|r| r.role == Role::Comms) {
            row.translates = accounts::translator_languages(db, row.id).await?;
        }
        Ok(rows)
    }

    #[tracing::instrument(skip_all, fields(actor = admin.id, user = %form.account))]
    pub async fn set_translator(admin: &StaffUser, form: TranslatorForm) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let account: i64 = form
            .account
            .trim()
            .parse()
            .map_err(|_| AppError::not_found("account"))?;
        let flash_form = format!("account-{account}");
        let mut languages = Vec::new();
        for code in &form.languages {
            match Locale::from_code(code.trim()) {
                Some(l) if !languages.contains(&l) => languages.push(l),
                Some(_) => {}
                None => {
                    return refuse(
                        &flash_form,
                        &form,
                        Problems::one("account", "form.invalid_choice"),
                    )
                    .await
                }
            }
        }
        let marked =
            accounts::set_translator_languages(&db, admin.actor(), account, &languages).await?;
        if !marked {
            return refuse(
                &flash_form,
                &form,
                Problems::one("account", "staff.translators_are_comms"),
            )
            .await;
        }
        done(
            &flash_form,
            "staff.saved",
            &locale.path("/staff/accounts", false),
        )
        .await
    }

    fn problem_of(error: &AccountError) -> Option<(&'static str, &'static str)> {
        Some(match error {
            AccountError::EmailTaken => ("email", "form.email_taken"),
            AccountError::UnknownMunicipality(_) => ("municipality", "form.invalid_choice"),
            AccountError::MunicipalityRequired => ("municipality", "form.municipality_required"),
            AccountError::MunicipalityNotAllowed(_) => {
                ("municipality", "form.municipality_not_allowed")
            }
            AccountError::OwnAccount => ("account", "form.own_account"),
            _ => return None,
        })
    }

    #[tracing::instrument(skip_all, fields(actor = admin.id, record = "user"))]
    pub async fn create(admin: &StaffUser, form: NewAccountForm) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let mut problems = Problems::default();
        let email = problems.check("email", Email::parse(&form.email), "form.invalid_email");
        let name = problems.check("name", PersonName::parse(&form.name), "form.required");
        let role = problems.check("role", Role::parse(&form.role), "form.invalid_choice");
        let municipality = match form.municipality.trim() {
            "" => Some(None),
            slug => problems
                .check("municipality", Slug::parse(slug), "form.invalid_choice")
                .map(Some),
        };
        let (Some(email), Some(name), Some(role), Some(municipality)) =
            (email, name, role, municipality)
        else {
            return refuse(USER_FORM, &form, problems).await;
        };
        if !problems.is_empty() {
            return refuse(USER_FORM, &form, problems).await;
        }
        let new = NewUser {
            email,
            name,
            role,
            municipality,
        };
        let now = crate::server::clock::now();
        let first = FirstPassword::Mailed {
            base_url: &crate::server::context::state()?.public_url,
            locale,
        };
        match accounts::create_account(&db, admin.actor(), &new, first, now).await {
            Ok(_) => {
                done(
                    USER_FORM,
                    "staff.account_created",
                    &locale.path("/staff/accounts", false),
                )
                .await
            }
            Err(error) => match problem_of(&error) {
                Some((field, key)) => refuse(USER_FORM, &form, Problems::one(field, key)).await,
                None => Err(error.into()),
            },
        }
    }

    #[tracing::instrument(skip_all, fields(actor = admin.id, user = account))]
    pub async fn change(
        admin: &StaffUser,
        lang: &str,
        account: i64,
        change: &str,
        role: &str,
        municipality: &str,
    ) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let form = format!("account-{account}");
        let values = std::collections::BTreeMap::from([
            ("role".to_owned(), role.to_owned()),
            ("municipality".to_owned(), municipality.to_owned()),
        ]);
        let mut problems = Problems::default();
        let change = match change {
            "password" => {
                let state = crate::server::context::state()?;
                let now = crate::server::clock::now();
                let account = Account::Id(account);
                return match mail_reset_link(
                    &db,
                    account,
                    Some(admin),
                    &state.public_url,
                    locale,
                    now,
                )
                .await?
                {
                    true => {
                        let to = locale.path("/staff/accounts", false);
                        done(&form, "staff.password_link_sent", &to).await
                    }
                    false => {
                        refuse(
                            &form,
                            &values,
                            Problems::one("account", "form.account_disabled"),
                        )
                        .await
                    }
                };
            }
            "second-factor-reset" | "second-factor-require" | "second-factor-optional" => {
                use crate::backoffice::two_factor::on_server as two_factor;
                let state = crate::server::context::state()?;
                let now = crate::server::clock::now();
                let done_it = if change == "second-factor-reset" {
                    two_factor::reset(&db, admin, account, &state.public_url, locale, now).await?
                } else {
                    let require = change == "second-factor-require";
                    two_factor::require_of(&db, admin, account, require, now).await?
                };
                let to = locale.path("/staff/accounts", false);
                return match done_it {
                    true => done(&form, "staff.saved", &to).await,
                    false => {
                        refuse(
                            &form,
                            &values,
                            Problems::one("account", "form.invalid_choice"),
                        )
                        .await
                    }
                };
            }
            "disable" => AccountChange::Disable,
            "enable" => AccountChange::Enable,
            "role" => {
                let role = problems.check("role", Role::parse(role), "form.invalid_choice");
                let municipality = match municipality.trim() {
                    "" => Some(None),
                    slug => problems
                        .check("municipality", Slug::parse(slug), "form.invalid_choice")
                        .map(Some),
                };
                match (role, municipality) {
                    (Some(role), Some(municipality)) => AccountChange::Role { role, municipality },
                    _ => return refuse(&form, &values, problems).await,
                }
            }
            _ => {
                problems.add("change", "form.invalid_choice");
                return refuse(&form, &values, problems).await;
            }
        };
        match accounts::change_user(&db, admin.id, account, &change).await {
            Ok(()) => done(&form, "staff.saved", &locale.path("/staff/accounts", false)).await,
            Err(AccountError::UnknownUser) => Err(AppError::not_found("account")),
            Err(error) => match problem_of(&error) {
                Some((field, key)) => refuse(&form, &values, Problems::one(field, key)).await,
                None => Err(error.into()),
            },
        }
    }

    /// What the administrator filters the log by.
    #[derive(Debug, Clone, Default)]
    pub struct AuditFilter {
        pub user_id: Option<i64>,
        pub record_type: Option<String>,
        pub record_id: Option<String>,
        /// Entries older than this id (the next page).
        pub before_id: Option<i64>,
    }

    pub const PAGE_SIZE: i64 = 100;

    /// Newest first, one page.
    pub async fn entries(
        db: &Db,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntryView>, sqlx::Error> {
        on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT l.id, l.user_id, u.name AS user_name, l.actor, l.at, l.action, l.record_type, l.record_id,
                    l.before_json, l.after_json
               FROM audit_log l LEFT JOIN users u ON u.id = l.user_id
              WHERE ($1 IS NULL OR l.user_id = $1)
                AND ($2 IS NULL OR l.record_type = $2)
                AND ($3 IS NULL OR l.record_id = $3)
                AND ($4 IS NULL OR l.id < $4)
              ORDER BY l.id DESC
              LIMIT $5"
        )
        .bind(filter.user_id)
        .bind(filter.record_type.as_deref())
        .bind(filter.record_id.as_deref())
        .bind(filter.before_id)
        .bind(PAGE_SIZE)
        .fetch_all(pool)
        .await
        })
    }
}
