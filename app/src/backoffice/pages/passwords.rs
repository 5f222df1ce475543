//! `/staff/password?token=…` (choose a password through a mailed link),
//! `/staff/password/forgot` (ask for such a link) and `/staff/account`
//! (change one's own password).
use super::forms::{gate, gated, utc, FlashNotice, LangField, StaffNav, TextField};
use crate::backoffice::forms::FormFlash;
use crate::backoffice::passwords::{
    own_account, password_link, ChangeOwnPassword, OwnAccountPage, RequestPasswordLink,
    SetPassword, LINK_FORM, OWN_PASSWORD_FORM,
};
use crate::backoffice::two_factor::passkeys::{
    Ceremony, PasskeyCeremony, RemovePasskey, MAX_NAME_CHARS,
};
use crate::backoffice::two_factor::{
    ConfirmSecondFactor, NewRecoveryCodes, RemoveSecondFactor, SecondFactor, SecondFactorView,
    StartSecondFactor, SECOND_FACTOR_FORM,
};
use crate::domain::Permission;
use crate::i18n::use_locale;
use crate::pages::errors::InternalError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

/// The address of this page holds the secret: no other site may learn it
/// from a Referer, and no cache may keep the page.
fn secret_in_address() {
    super::private_page();
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::header::REFERRER_POLICY,
            http::HeaderValue::from_static("same-origin"),
        );
    }
}

#[component]
pub fn StaffPasswordLinkPage() -> impl IntoView {
    secret_in_address();
    let locale = use_locale();
    let token = use_query_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default();
    let flash: Option<FormFlash> = {
        #[cfg(feature = "ssr")]
        {
            crate::backoffice::passwords::on_server::take_password_flash()
        }
        #[cfg(not(feature = "ssr"))]
        {
            None
        }
    };
    let link = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        password_link,
    );
    let forgot = locale.path("/staff/password/forgot", false);
    view! {
        <Meta name="robots" content="noindex" />
        <section class="staff-login">
            <Suspense>
                {move || {
                    let (flash, forgot, token) = (flash.clone(), forgot.clone(), token.clone());
                    Suspend::new(async move {
                        let dead = flash
                            .as_ref()
                            .is_some_and(|f| f.error(LINK_FORM, "token").is_some());
                        match link.await {
                            Ok(Some(link)) if !dead => {
                                let title = locale
                                    .t(&format!("staff.password_title_{}", link.purpose));
                                view! {
                                    <Title text=title.clone() />
                                    <h1>{title}</h1>
                                    <p>
                                        {locale
                                            .t("staff.password_for")
                                            .replace("%{name}", &link.name)
                                            .replace("%{email}", &link.email)}
                                    </p>
                                    <FlashNotice flash=flash.clone() />
                                    <form
                                        method="post"
                                        action={<SetPassword as ServerFn>::PATH}
                                        class="staff-form"
                                    >
                                        <LangField />
                                        <input type="hidden" name="token" value=token />
                                        // For password managers: whose password this is.
                                        <input
                                            type="hidden"
                                            name="username"
                                            autocomplete="username"
                                            value=link.email.clone()
                                        />
                                        <TextField
                                            form=LINK_FORM
                                            name="new_password"
                                            label=locale.t("staff.new_password")
                                            value=String::new()
                                            flash=flash.clone()
                                            kind="password"
                                            hint=locale.t("staff.password_hint")
                                            required=true
                                            autocomplete="new-password"
                                        />
                                        <TextField
                                            form=LINK_FORM
                                            name="repeat_password"
                                            label=locale.t("staff.repeat_password")
                                            value=String::new()
                                            flash=flash.clone()
                                            kind="password"
                                            required=true
                                            autocomplete="new-password"
                                        />
                                        <button type="submit">
                                            {locale.t("staff.password_submit")}
                                        </button>
                                    </form>
                                }
                                    .into_any()
                            }
                            Ok(_) => {
                                let title = locale.t("staff.password_link_dead_title");
                                view! {
                                    <Title text=title.clone() />
                                    <h1>{title}</h1>
                                    <p class="form-problem" role="alert">
                                        {locale.t("staff.password_link_dead")}
                                    </p>
                                    <p>
                                        <a href=forgot>{locale.t("staff.password_link_ask")}</a>
                                    </p>
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <InternalError error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
pub fn StaffForgotPasswordPage() -> impl IntoView {
    super::private_page();
    let locale = use_locale();
    let sent = use_query_map().read_untracked().get("sent").is_some();
    let title = locale.t("staff.forgot_title");
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        <section class="staff-login">
            <h1>{title}</h1>
            {if sent {
                view! {
                    <p class="notice" role="status">
                        {locale.t("staff.forgot_sent")}
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <p>{locale.t("staff.forgot_intro")}</p>
                    <form
                        method="post"
                        action={<RequestPasswordLink as ServerFn>::PATH}
                        class="login-form"
                    >
                        <LangField />
                        <div class="field">
                            <label for="email">{locale.t("staff.email")}</label>
                            <input
                                id="email"
                                name="email"
                                type="email"
                                autocomplete="username"
                                required
                            />
                        </div>
                        <button type="submit">{locale.t("staff.forgot_submit")}</button>
                    </form>
                }
                    .into_any()
            }}
            <p>
                <a href=locale.path("/staff/login", false)>{locale.t("staff.login_title")}</a>
            </p>
        </section>
    }
}

#[component]
pub fn StaffOwnAccountPage() -> impl IntoView {
    super::private_page();
    let locale = use_locale();
    let title = locale.t("staff.account_title");
    let data = Resource::new(
        || (),
        move |_| {
            gate(Permission::ChangeOwnPassword, async move {
                own_account().await.map(Some)
            })
        },
    );
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: OwnAccountPage| {
                let f = OWN_PASSWORD_FORM;
                let flash = page.flash.clone();
                view! {
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{title.clone()}</h1>
                        <FlashNotice flash=flash.clone() />
                        <dl class="account">
                            <dt>{locale.t("staff.account_name")}</dt>
                            <dd>{page.user.name.clone()}</dd>
                            <dt>{locale.t("staff.email")}</dt>
                            <dd>{page.user.email.clone()}</dd>
                        </dl>
                        <h2 id="change-password">{locale.t("staff.change_password")}</h2>
                        <p>{locale.t("staff.change_password_intro")}</p>
                        <form
                            method="post"
                            action={<ChangeOwnPassword as ServerFn>::PATH}
                            class="staff-form"
                        >
                            <LangField />
                            <input
                                type="hidden"
                                name="username"
                                autocomplete="username"
                                value=page.user.email.clone()
                            />
                            <TextField
                                form=f
                                name="current_password"
                                label=locale.t("staff.current_password")
                                value=String::new()
                                flash=flash.clone()
                                kind="password"
                                required=true
                                autocomplete="current-password"
                            />
                            <TextField
                                form=f
                                name="new_password"
                                label=locale.t("staff.new_password")
                                value=String::new()
                                flash=flash.clone()
                                kind="password"
                                hint=locale.t("staff.password_hint")
                                required=true
                                autocomplete="new-password"
                            />
                            <TextField
                                form=f
                                name="repeat_password"
                                label=locale.t("staff.repeat_password")
                                value=String::new()
                                flash=flash.clone()
                                kind="password"
                                required=true
                                autocomplete="new-password"
                            />
                            <button type="submit">{locale.t("staff.change_password")}</button>
                        </form>
                        <SecondFactorSection view=page.second_factor.clone() flash=flash.clone() />
                    </section>
                }
            },
        )}
    }
}

/// "Your account"'s second factor: set up an authenticator app (scan or
/// type its secret, then confirm with a code), see the recovery codes once,
/// make new ones, or remove it where the account may go without.
#[component]
fn SecondFactorSection(view: SecondFactorView, flash: Option<FormFlash>) -> impl IntoView {
    let locale = use_locale();
    let f = SECOND_FACTOR_FORM;
    let state = match view.state {
        SecondFactor::Set => "staff.second_factor_on",
        SecondFactor::Missing => "staff.second_factor_needed",
        SecondFactor::Optional => "staff.second_factor_off",
    };
    let button = move |action: &'static str, label: &'static str| {
        view! {
            <form method="post" action=action class="inline-form">
                <LangField />
                <button type="submit">{locale.t(label)}</button>
            </form>
        }
    };
    let codes = view.new_recovery_codes.clone();
    view! {
        <h2 id="second-factor">{locale.t("staff.second_factor_title")}</h2>
        <p class="second-factor-state">{locale.t(state)}</p>
        {(!codes.is_empty())
            .then(|| {
                view! {
                    <div class="recovery-codes" role="status">
                        <p>
                            <strong>{locale.t("staff.recovery_codes_once")}</strong>
                        </p>
                        <ol>
                            {codes
                                .into_iter()
                                .map(|code| {
                                    view! {
                                        <li>
                                            <code>{code}</code>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    </div>
                }
            })}
        <h3>{locale.t("staff.second_factor_app")}</h3>
        {match (view.app, view.setup.clone()) {
            (true, _) => {
                view! {
                    <p>{locale.t("staff.second_factor_app_on")}</p>
                    {view
                        .may_remove_app()
                        .then(|| button(
                            <RemoveSecondFactor as ServerFn>::PATH,
                            "staff.second_factor_remove",
                        ))}
                }
                    .into_any()
            }
            (false, Some(setup)) => {
                view! {
                    <p>{locale.t("staff.second_factor_scan")}</p>
                    <div class="totp-qr" inner_html=setup.qr_svg.clone()></div>
                    <p>
                        {locale.t("staff.second_factor_secret")} " "
                        <code class="totp-secret">{setup.secret.clone()}</code>
                    </p>
                    <form
                        method="post"
                        action={<ConfirmSecondFactor as ServerFn>::PATH}
                        class="staff-form"
                    >
                        <LangField />
                        <TextField
                            form=f
                            name="code"
                            label=locale.t("staff.code_label")
                            value=String::new()
                            flash=flash.clone()
                            hint=locale.t("staff.second_factor_confirm_hint")
                            required=true
                            autocomplete="one-time-code"
                        />
                        <button type="submit">{locale.t("staff.second_factor_confirm")}</button>
                    </form>
                    {button(<StartSecondFactor as ServerFn>::PATH, "staff.second_factor_restart")}
                }
                    .into_any()
            }
            (false, None) => {
                view! {
                    <p>{locale.t("staff.second_factor_intro")}</p>
                    {button(<StartSecondFactor as ServerFn>::PATH, "staff.second_factor_start")}
                }
                    .into_any()
            }
        }}
        <h3>{locale.t("staff.passkeys")}</h3>
        <p>{locale.t("staff.passkeys_intro")}</p>
        {(!view.passkeys.is_empty())
            .then(|| {
                let removable = view.may_remove_passkey();
                view! {
                    <ul class="passkeys">
                        {view
                            .passkeys
                            .iter()
                            .map(|passkey| {
                                let used = passkey
                                    .last_used_at
                                    .map(|at| {
                                        locale.t("staff.passkey_used").replace("%{at}", &utc(at))
                                    });
                                view! {
                                    <li>
                                        <strong>{passkey.name.clone()}</strong>
                                        " — "
                                        {locale
                                            .t("staff.passkey_added_at")
                                            .replace("%{at}", &utc(passkey.created_at))}
                                        {used.map(|used| format!("; {used}"))}
                                        {removable
                                            .then(|| {
                                                view! {
                                                    <form
                                                        method="post"
                                                        action={<RemovePasskey as ServerFn>::PATH}
                                                        class="inline-form"
                                                    >
                                                        <LangField />
                                                        <input type="hidden" name="id" value=passkey.id />
                                                        <button type="submit">
                                                            {locale
                                                                .t("staff.passkey_remove")
                                                                .replace("%{name}", &passkey.name)}
                                                        </button>
                                                    </form>
                                                }
                                            })}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
            })}
        <PasskeyCeremony
            ceremony=Ceremony::Add
            lang=locale.code().to_owned()
            next=String::new()
            unsupported=locale.t("staff.passkey_unsupported")
            failed=locale.t("staff.passkey_failed")
        >
            <div class="field">
                <label for="passkey-name">{locale.t("staff.passkey_name")}</label>
                <input
                    id="passkey-name"
                    name="name"
                    type="text"
                    required
                    maxlength=MAX_NAME_CHARS
                    aria-describedby="passkey-name-hint"
                />
                <p class="hint" id="passkey-name-hint">
                    {locale.t("staff.passkey_name_hint")}
                </p>
            </div>
            <button type="submit">{locale.t("staff.passkey_add")}</button>
        </PasskeyCeremony>
        {(view.state == SecondFactor::Set)
            .then(|| {
                view! {
                    <h3>{locale.t("staff.recovery_codes")}</h3>
                    <p class="recovery-codes-left">
                        {locale
                            .t("staff.recovery_codes_left")
                            .replace("%{count}", &view.recovery_codes_left.to_string())}
                    </p>
                    {button(<NewRecoveryCodes as ServerFn>::PATH, "staff.recovery_codes_renew")}
                }
            })}
    }
}
