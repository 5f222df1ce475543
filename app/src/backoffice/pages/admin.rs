//! `/staff/accounts`, `/staff/audit` and `/staff/data-requests`: the
//! administrator's pages.
use super::forms::{
    gate, gated, utc, CheckboxGroup, FlashNotice, LangField, SelectField, StaffNav, TextField,
};
use crate::api::MunicipalityRef;
use crate::backoffice::admin::{
    audit_log, data_request_log, staff_accounts, AccountRow, AccountsPage, AuditPage,
    ChangeAccount, CreateAccount, DataRequestsPage, SetTranslatorLanguages, USER_FORM,
};
use crate::backoffice::forms::FormFlash;
use crate::domain::{Permission, Role};
use crate::i18n::{use_locale, Locale};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

fn role_options(locale: Locale) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| {
            (
                r.slug().to_owned(),
                locale.t(&format!("staff.role_{}", r.slug())),
            )
        })
        .collect()
}

fn municipality_options(
    locale: Locale,
    municipalities: &[MunicipalityRef],
) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), locale.t("staff.municipality_none"))];
    options.extend(
        municipalities
            .iter()
            .map(|m| (m.slug.as_str().to_owned(), m.name.text.clone())),
    );
    options
}

#[component]
pub fn StaffAccountsPage() -> impl IntoView {
    super::private_page();
    let locale = use_locale();
    let title = locale.t("staff.accounts_title");
    let data = Resource::new(
        || (),
        move |_| {
            gate(Permission::ManageAccounts, async move {
                staff_accounts().await.map(Some)
            })
        },
    );
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: AccountsPage| {
                let f = USER_FORM;
                let flash = page.flash.clone();
                view! {
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{title.clone()}</h1>
                        <FlashNotice flash=flash.clone() />
                        <table class="staff-table accounts">
                            <thead>
                                <tr>
                                    <th scope="col">{locale.t("staff.col_name")}</th>
                                    <th scope="col">{locale.t("staff.col_email")}</th>
                                    <th scope="col">{locale.t("staff.col_role")}</th>
                                    <th scope="col">{locale.t("staff.col_state")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {page
                                    .accounts
                                    .iter()
                                    .map(|a| {
                                        view! {
                                            <AccountRowView
                                                account=a.clone()
                                                municipalities=page.municipalities.clone()
                                                flash=flash.clone()
                                                own=a.id == page.user.id
                                            />
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                        <h2 id="new-account">{locale.t("staff.new_account")}</h2>
                        <form
                            method="post"
                            action={<CreateAccount as ServerFn>::PATH}
                            class="staff-form"
                        >
                            <LangField />
                            <TextField
                                form=f
                                name="email"
                                label=locale.t("staff.col_email")
                                value=String::new()
                                flash=flash.clone()
                                kind="email"
                                required=true
                                autocomplete="off"
                            />
                            <TextField
                                form=f
                                name="name"
                                label=locale.t("staff.account_name")
                                value=String::new()
                                flash=flash.clone()
                                required=true
                            />
                            <SelectField
                                form=f
                                name="role"
                                label=locale.t("staff.col_role")
                                value="council".to_owned()
                                flash=flash.clone()
                                options=role_options(locale)
                                required=true
                            />
                            <SelectField
                                form=f
                                name="municipality"
                                label=locale.t("staff.col_municipality")
                                value=String::new()
                                flash=flash.clone()
                                options=municipality_options(locale, &page.municipalities)
                            />
                            <p class="hint">{locale.t("staff.new_account_hint")}</p>
                            <button type="submit">{locale.t("staff.new_account")}</button>
                        </form>
                    </section>
                }
            },
        )}
    }
}

#[component]
fn AccountRowView(
    account: AccountRow,
    municipalities: Vec<MunicipalityRef>,
    flash: Option<FormFlash>,
    own: bool,
) -> impl IntoView {
    let locale = use_locale();
    let form = format!("account-{}", account.id);
    let role_label = locale.t(&format!("staff.role_{}", account.role.slug()));
    let role_text = match &account.municipality {
        Some(m) => format!("{role_label}, {}", m.name.text),
        None => role_label,
    };
    let problem = flash
        .as_ref()
        .and_then(|f| f.errors.get("account").filter(|_| f.form == form))
        .map(|k| locale.t(k));
    view! {
        <tr id=form.clone()>
            <td>{account.name.clone()}</td>
            <td>{account.email.clone()}</td>
            <td>
                {role_text}
                {(!own)
                    .then(|| {
                        view! {
                            <details>
                                <summary>{locale.t("staff.change_role")}</summary>
                                <form
                                    method="post"
                                    action={<ChangeAccount as ServerFn>::PATH}
                                    class="staff-form compact"
                                >
                                    <LangField />
                                    <input
                                        type="hidden"
                                        name="account"
                                        value=account.id.to_string()
                                    />
                                    <input type="hidden" name="change" value="role" />
                                    <SelectField
                                        form=form.clone()
                                        name="role"
                                        label=locale.t("staff.col_role")
                                        value=account.role.slug().to_owned()
                                        flash=flash.clone()
                                        options=role_options(locale)
                                    />
                                    <SelectField
                                        form=form.clone()
                                        name="municipality"
                                        label=locale.t("staff.col_municipality")
                                        value=account
                                            .municipality
                                            .as_ref()
                                            .map(|m| m.slug.as_str().to_owned())
                                            .unwrap_or_default()
                                        flash=flash.clone()
                                        options=municipality_options(locale, &municipalities)
                                    />
                                    <button type="submit">{locale.t("staff.change_role")}</button>
                                </form>
                            </details>
                        }
                    })}
                {(account.role == Role::Comms)
                    .then(|| view! { <TranslatorLanguages account=account.clone() /> })}
            </td>
            <td>
                {locale.t(if account.disabled { "staff.disabled" } else { "staff.active" })}
                {problem
                    .map(|p| {
                        view! {
                            <p class="field-error" role="alert">
                                {p}
                            </p>
                        }
                    })}
                {(!own)
                    .then(|| {
                        view! {
                            <form
                                method="post"
                                action={<ChangeAccount as ServerFn>::PATH}
                                class="inline-form"
                            >
                                <LangField />
                                <input type="hidden" name="account" value=account.id.to_string() />
                                <input
                                    type="hidden"
                                    name="change"
                                    value=if account.disabled { "enable" } else { "disable" }
                                />
                                <button type="submit">
                                    {locale
                                        .t(
                                            if account.disabled {
                                                "staff.enable"
                                            } else {
                                                "staff.disable"
                                            },
                                        )}
                                </button>
                            </form>
                        }
                    })}
                {(!own && !account.disabled)
                    .then(|| {
                        view! {
                            <form
                                method="post"
                                action={<ChangeAccount as ServerFn>::PATH}
                                class="inline-form"
                            >
                                <LangField />
                                <input type="hidden" name="account" value=account.id.to_string() />
                                <input type="hidden" name="change" value="password" />
                                <button type="submit">{locale.t("staff.reset_password")}</button>
                            </form>
                        }
                    })} <SecondFactorOfAccount account=account.clone() own />
            </td>
        </tr>
    }
}

/// What an administrator sees and does about an account's second factor:
/// whether it has one; reset a lost one; require one of communications staff.
#[component]
fn SecondFactorOfAccount(account: AccountRow, own: bool) -> impl IntoView {
    use crate::backoffice::two_factor::SecondFactor;
    let locale = use_locale();
    let state = match account.second_factor {
        SecondFactor::Set => "staff.second_factor_state_set",
        SecondFactor::Missing => "staff.second_factor_state_missing",
        SecondFactor::Optional => "staff.second_factor_state_none",
    };
    let button = |change: &'static str, label: &'static str| {
        view! {
            <form method="post" action={<ChangeAccount as ServerFn>::PATH} class="inline-form">
                <LangField />
                <input type="hidden" name="account" value=account.id.to_string() />
                <input type="hidden" name="change" value=change />
                <button type="submit">{locale.t(label)}</button>
            </form>
        }
    };
    let comms = account.role == Role::Comms;
    let required = account.second_factor_required;
    view! {
        <p class="second-factor-state">{locale.t(state)}</p>
        {(!own && account.second_factor == SecondFactor::Set)
            .then(|| button("second-factor-reset", "staff.second_factor_reset"))}
        {(!own && comms && !required)
            .then(|| button("second-factor-require", "staff.second_factor_require"))}
        {(!own && comms && required)
            .then(|| button("second-factor-optional", "staff.second_factor_optional"))}
    }
}

/// Who made a change: a staff member's name, the command line, a partner
/// feed, or a signer through their link (never named).
fn actor_label(locale: Locale, entry: &crate::backoffice::admin::AuditEntryView) -> String {
    match (&entry.user_name, entry.actor.strip_prefix("feed:")) {
        (Some(name), _) => name.clone(),
        (None, Some(feed)) => locale.t("staff.feed_actor").replace("%{id}", feed),
        (None, None) if entry.actor == "signer" => locale.t("staff.signer_actor"),
        (None, None) => locale.t("staff.command_line"),
    }
}

#[component]
pub fn StaffAuditPage() -> impl IntoView {
    super::private_page();
    let locale = use_locale();
    let title = locale.t("staff.audit_title");
    let query = use_query_map().read_untracked().clone();
    let get = move |k: &str| query.get(k).unwrap_or_default();
    let filter = (
        get("user"),
        get("record_type"),
        get("record_id"),
        get("before"),
    );
    let data = Resource::new(
        move || filter.clone(),
        move |(user, record_type, record_id, before)| {
            gate(Permission::ReadAuditLog, async move {
                audit_log(
                    user.parse().ok(),
                    record_type,
                    record_id,
                    before.parse().ok(),
                )
                .await
                .map(Some)
            })
        },
    );
    let here = locale.path("/staff/audit", false);
    let current = (get("user"), get("record_type"), get("record_id"));
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: AuditPage| {
                let (user, record_type, record_id) = current.clone();
                let mut who = vec![(String::new(), locale.t("staff.filter_any"))];
                who.extend(page.accounts.iter().map(|(id, label)| (id.to_string(), label.clone())));
                let older = page
                    .older
                    .map(|id| {
                        let enc = |s: &str| {
                            s.replace('&', "%26").replace('#', "%23").replace(' ', "+")
                        };
                        format!(
                            "{here}?user={}&record_type={}&record_id={}&before={id}",
                            enc(&user),
                            enc(&record_type),
                            enc(&record_id),
                        )
                    });
                let here = here.clone();
                view! {
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{title.clone()}</h1>
                        <form method="get" action=here class="staff-form filters">
                            <SelectField
                                form="audit"
                                name="user"
                                label=locale.t("staff.filter_user")
                                value=user.clone()
                                flash=None
                                options=who
                            />
                            <TextField
                                form="audit"
                                name="record_type"
                                label=locale.t("staff.filter_record_type")
                                value=record_type.clone()
                                flash=None
                            />
                            <TextField
                                form="audit"
                                name="record_id"
                                label=locale.t("staff.filter_record_id")
                                value=record_id.clone()
                                flash=None
                            />
                            <button type="submit">{locale.t("staff.filter")}</button>
                        </form>
                        {if page.entries.is_empty() {
                            view! { <p>{locale.t("staff.no_entries")}</p> }.into_any()
                        } else {
                            view! {
                                <table class="staff-table audit">
                                    <thead>
                                        <tr>
                                            <th scope="col">{locale.t("staff.col_when")}</th>
                                            <th scope="col">{locale.t("staff.col_who")}</th>
                                            <th scope="col">{locale.t("staff.col_action")}</th>
                                            <th scope="col">{locale.t("staff.col_record")}</th>
                                            <th scope="col">{locale.t("staff.col_change")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {page
                                            .entries
                                            .iter()
                                            .map(|e| {
                                                let record_link = format!(
                                                    "{}?record_type={}&record_id={}",
                                                    locale.path("/staff/audit", false),
                                                    e.record_type,
                                                    e.record_id,
                                                );
                                                view! {
                                                    <tr>
                                                        <td>{utc(e.at)}</td>
                                                        <td>{actor_label(locale, e)}</td>
                                                        <td>
                                                            <code>{e.action.clone()}</code>
                                                        </td>
                                                        <td>
                                                            <a href=record_link>
                                                                {format!("{} {}", e.record_type, e.record_id)}
                                                            </a>
                                                        </td>
                                                        <td>
                                                            {e
                                                                .before_json
                                                                .clone()
                                                                .map(|j| {
                                                                    view! {
                                                                        <details>
                                                                            <summary>{locale.t("staff.before")}</summary>
                                                                            <pre>{j}</pre>
                                                                        </details>
                                                                    }
                                                                })}
                                                            {e
                                                                .after_json
                                                                .clone()
                                                                .map(|j| {
                                                                    view! {
                                                                        <details>
                                                                            <summary>{locale.t("staff.after")}</summary>
                                                                            <pre>{j}</pre>
                                                                        </details>
                                                                    }
                                                                })}
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }}
                        {older
                            .map(|href| {
                                view! {
                                    <p>
                                        <a href=href>{locale.t("staff.older")}</a>
                                    </p>
                                }
                            })}
                    </section>
                }
            },
        )}
    }
}

/// The languages a communications staff member translates into: their
/// translation queue opens on those.
#[component]
fn TranslatorLanguages(account: AccountRow) -> impl IntoView {
    let locale = use_locale();
    let summary = if account.translates.is_empty() {
        locale.t("staff.translates_none")
    } else {
        let names: Vec<String> = account
            .translates
            .iter()
            .map(|l| locale.language_name(*l))
            .collect();
        format!("{} {}", locale.t("staff.translates_into"), names.join(", "))
    };
    let languages = Locale::ALL
        .into_iter()
        .map(|language| (language.code().to_owned(), locale.language_name(language)))
        .collect();
    let translates = account
        .translates
        .iter()
        .map(|l| l.code().to_owned())
        .collect();
    view! {
        <details class="translator-languages">
            <summary>{summary}</summary>
            <form
                method="post"
                action={<SetTranslatorLanguages as ServerFn>::PATH}
                class="staff-form compact"
            >
                <LangField />
                <input type="hidden" name="account" value=account.id.to_string() />
                <CheckboxGroup
                    form=format!("translator-{}", account.id)
                    name="languages"
                    id=format!("translator-{}", account.id)
                    legend=locale.t("staff.translates_into")
                    options=languages
                    checked=translates
                    flash=None
                />
                <button type="submit">{locale.t("staff.save")}</button>
            </form>
        </details>
    }
}

/// The signers' requests for their data (`privacy`): when each came, the
/// day its answer is due, what became of it — never whose.
#[component]
pub fn StaffDataRequestsPage() -> impl IntoView {
    use crate::privacy::RequestOutcome;
    super::private_page();
    let locale = use_locale();
    let title = locale.t("staff.data_requests_title");
    let data = Resource::new(
        || (),
        |_| {
            gate(Permission::ReadDataRequests, async {
                data_request_log().await.map(Some)
            })
        },
    );
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |log: DataRequestsPage| {
                let rows = log
                    .requests
                    .iter()
                    .map(|request| {
                        let outcome = match request.outcome {
                            RequestOutcome::LinkSent => locale.t("staff.data_request_link_sent"),
                            RequestOutcome::LinkEnded => locale.t("staff.data_request_link_ended"),
                            RequestOutcome::Erased(at) => {
                                locale.t("staff.data_request_erased").replace("%{when}", &utc(at))
                            }
                        };
                        view! {
                            <tr>
                                <td>{utc(request.requested_at)}</td>
                                <td>{request.due_on.clone()}</td>
                                <td>{request.language.clone()}</td>
                                <td>{outcome}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <StaffNav user=log.user.clone() />
                    <section class="staff-page">
                        <h1>{title.clone()}</h1>
                        <p>{locale.t("staff.data_requests_intro")}</p>
                        {if log.requests.is_empty() {
                            view! { <p>{locale.t("staff.data_requests_none")}</p> }.into_any()
                        } else {
                            view! {
                                <table class="staff-table data-requests">
                                    <thead>
                                        <tr>
                                            <th scope="col">{locale.t("staff.data_request_when")}</th>
                                            <th scope="col">{locale.t("staff.data_request_due")}</th>
                                            <th scope="col">
                                                {locale.t("staff.data_request_language")}
                                            </th>
                                            <th scope="col">
                                                {locale.t("staff.data_request_outcome")}
                                            </th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            }
                                .into_any()
                        }}
                    </section>
                }
            },
        )}
    }
}
