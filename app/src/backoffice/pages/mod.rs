//! The back office's pages: `/staff/login` and `/staff` here, the
//! passwords' pages (`passwords`) and the administrator's (`admin`), and what
//! every staff page of every back-office folder is built from (`forms`: the
//! gate, the staff menu, fields that show a refused form again). Every staff
//! page checks the session on the server and sends an anonymous visitor to
//! the login page, and back after; the router in `lib.rs` picks the page.
//! Pages call server functions and render; they hold no SQL.
pub mod admin;
pub mod forms;
pub mod passwords;

use crate::backoffice::session::{
    current_staff_user, safe_next, LogInStaff, LogOutStaff, LoginFlash,
};
use crate::backoffice::two_factor::passkeys::{Ceremony, PasskeyCeremony};
use crate::backoffice::two_factor::{login_second_step, LogInWithCode, SecondStep};
use crate::backoffice::StaffUser;
use crate::i18n::{use_locale, Locale};
use crate::pages::errors::InternalError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_location, use_query_map};

fn role_label(locale: Locale, user: &StaffUser) -> String {
    let role = locale.t(&format!("staff.role_{}", user.role.slug()));
    match &user.municipality {
        Some(m) => format!("{role}, {}", m.name.text),
        None => role,
    }
}

/// Staff pages say so to robots and caches: they are per person.
pub fn private_page() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("private, no-store"),
        );
    }
}

/// Where a login goes once done (the page's `next`, if local), and why the
/// last try failed (the flash a refused one left), for both login pages.
fn where_to_and_why(locale: Locale) -> (String, Option<LoginFlash>) {
    let next = safe_next(
        &use_query_map()
            .read_untracked()
            .get("next")
            .unwrap_or_default(),
        locale,
    );
    #[cfg(feature = "ssr")]
    let flash = crate::backoffice::session::on_server::take_login_flash();
    #[cfg(not(feature = "ssr"))]
    let flash = None;
    (next, flash)
}

#[component]
pub fn StaffLoginPage() -> impl IntoView {
    private_page();
    let locale = use_locale();
    let (next, flash) = where_to_and_why(locale);
    let user = Resource::new(|| (), |_| current_staff_user());
    let title = locale.t("staff.login_title");
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        <section class="staff-login">
            <h1>{title}</h1>
            <Suspense>
                {move || {
                    let (next, flash) = (next.clone(), flash.clone());
                    Suspend::new(async move {
                        match user.await {
                            Ok(Some(user)) => {
                                view! {
                                    <p class="logged-in">
                                        {locale.t("staff.logged_in_as")} " "
                                        <strong>{user.name.clone()}</strong> " ("
                                        {role_label(locale, &user)} ")"
                                    </p>
                                    <p>
                                        <a href=locale
                                            .path("/staff", false)>{locale.t("staff.home_title")}</a>
                                    </p>
                                    <LogoutButton />
                                }
                                    .into_any()
                            }
                            Ok(None) => view! { <LoginForm next flash /> }.into_any(),
                            Err(error) => view! { <InternalError error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn LoginForm(next: String, flash: Option<LoginFlash>) -> impl IntoView {
    let locale = use_locale();
    let (email, problem) = match flash {
        Some(flash) => (flash.email, Some(locale.t(&flash.message))),
        None => (String::new(), None),
    };
    view! {
        {problem
            .map(|message| {
                view! {
                    <p class="form-problem" role="alert" id="login-problem">
                        {message}
                    </p>
                }
            })}
        <form method="post" action={<LogInStaff as ServerFn>::PATH} class="login-form">
            <input type="hidden" name="next" value=next />
            <input type="hidden" name="lang" value=locale.code() />
            <div class="field">
                <label for="email">{locale.t("staff.email")}</label>
                <input
                    id="email"
                    name="email"
                    type="email"
                    autocomplete="username"
                    required
                    value=email
                />
            </div>
            <div class="field">
                <label for="password">{locale.t("staff.password")}</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                />
            </div>
            <button type="submit">{locale.t("staff.login_submit")}</button>
        </form>
        <p class="forgot">
            <a href=locale.path("/staff/password/forgot", false)>{locale.t("staff.forgot_link")}</a>
        </p>
    }
}

/// The second step of a login: the code from the authenticator app, or a
/// recovery code. Without a session waiting for one: back to the login page.
#[component]
pub fn StaffLoginCodePage() -> impl IntoView {
    private_page();
    let locale = use_locale();
    let (next, flash) = where_to_and_why(locale);
    let waiting = Resource::new(|| (), |_| login_second_step());
    let title = locale.t("staff.code_title");
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        <section class="staff-login">
            <h1>{title}</h1>
            <Suspense>
                {move || {
                    let (next, flash) = (next.clone(), flash.clone());
                    Suspend::new(async move {
                        match waiting.await {
                            Ok(Some(step)) => view! { <CodeForm next flash step /> }.into_any(),
                            Ok(None) => {
                                to_login(locale);
                                view! { <p>{locale.t("staff.login_needed")}</p> }.into_any()
                            }
                            Err(error) => view! { <InternalError error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <LogoutButton />
        </section>
    }
}

#[component]
fn CodeForm(next: String, flash: Option<LoginFlash>, step: SecondStep) -> impl IntoView {
    let locale = use_locale();
    view! {
        {flash
            .map(|flash| {
                view! {
                    <p class="form-problem" role="alert" id="login-problem">
                        {locale.t(&flash.message)}
                    </p>
                }
            })}
        {step
            .passkey
            .then(|| {
                view! {
                    <p>{locale.t("staff.passkey_login_intro")}</p>
                    <PasskeyCeremony
                        ceremony=Ceremony::LogIn
                        lang=locale.code().to_owned()
                        next=next.clone()
                        unsupported=locale.t("staff.passkey_unsupported")
                        failed=locale.t("staff.passkey_failed")
                    >
                        <button type="submit">{locale.t("staff.passkey_login")}</button>
                    </PasskeyCeremony>
                }
            })}
        <p>{locale.t("staff.code_intro")}</p>
        <form method="post" action={<LogInWithCode as ServerFn>::PATH} class="login-form">
            <input type="hidden" name="next" value=next />
            <input type="hidden" name="lang" value=locale.code() />
            <div class="field">
                <label for="code">{locale.t("staff.code_label")}</label>
                <input
                    id="code"
                    name="code"
                    type="text"
                    autocomplete="one-time-code"
                    autocapitalize="off"
                    spellcheck="false"
                    maxlength="32"
                    required
                    aria-describedby="code-hint"
                />
                <p class="hint" id="code-hint">
                    {locale.t("staff.code_hint")}
                </p>
            </div>
            <button type="submit">{locale.t("staff.code_submit")}</button>
        </form>
    }
}

#[component]
pub fn LogoutButton() -> impl IntoView {
    let locale = use_locale();
    view! {
        <form method="post" action={<LogOutStaff as ServerFn>::PATH} class="logout-form">
            <input type="hidden" name="lang" value=locale.code() />
            <button type="submit">{locale.t("staff.logout")}</button>
        </form>
    }
}

/// Sends an anonymous visitor to the login page, with the way back.
pub fn to_login(locale: Locale) {
    let here = use_location();
    let back = format!(
        "{}{}",
        here.pathname.get_untracked(),
        here.search.get_untracked()
    );
    #[cfg(feature = "ssr")]
    {
        let login = locale.path("/staff/login", false);
        leptos_axum::redirect(&format!(
            "{login}?next={}",
            crate::server::context::encode_query(&back)
        ));
    }
    #[cfg(not(feature = "ssr"))]
    let _ = (locale, back);
}

#[component]
pub fn StaffHomePage() -> impl IntoView {
    private_page();
    let locale = use_locale();
    let user = Resource::new(|| (), |_| current_staff_user());
    let title = locale.t("staff.home_title");
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        <Suspense>
            {move || {
                let title = title.clone();
                Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => {
                            view! {
                                <forms::StaffNav user=user.clone() />
                                <section class="staff-home">
                                    <h1>{title}</h1>
                                    <p class="logged-in">
                                        {locale.t("staff.logged_in_as")} " "
                                        <strong>{user.name.clone()}</strong> " ("
                                        {role_label(locale, &user)} ")"
                                    </p>
                                    {(user.second_factor
                                        == crate::backoffice::SecondFactor::Missing)
                                        .then(|| {
                                            view! {
                                                <p class="form-problem" role="alert">
                                                    {locale.t("staff.second_factor_first")}
                                                    " "
                                                    <a href=locale
                                                        .path(
                                                            "/staff/account#second-factor",
                                                            false,
                                                        )>{locale.t("staff.account_title")}</a>
                                                </p>
                                            }
                                        })}
                                    <dl class="account">
                                        <dt>{locale.t("staff.email")}</dt>
                                        <dd>{user.email.clone()}</dd>
                                        <dt>{locale.t("staff.role")}</dt>
                                        <dd>{role_label(locale, &user)}</dd>
                                    </dl>
                                    <p>
                                        <a href=locale
                                            .path(
                                                "/staff/account",
                                                false,
                                            )>{locale.t("staff.change_password")}</a>
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                        Ok(None) => {
                            to_login(locale);
                            view! { <p>{locale.t("staff.login_needed")}</p> }.into_any()
                        }
                        Err(error) => view! { <InternalError error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
