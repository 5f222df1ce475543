//! "What do you hold about me?" and "erase me" (`privacy`): the page to ask
//! for a link, and the link's page with everything held for the address,
//! its JSON, and the erase form. Plain forms: the same with JavaScript off.
use super::errors::{InternalError, NotFound};
use super::signatures::token_in_address;
use crate::components::{described_by, Honeypot};
use crate::domain::PartialDate;
use crate::i18n::{use_locale, Locale};
use crate::privacy::{
    read_held_data, EraseMyData, HeldData, HeldFollow, HeldSignature, ASK_PAGE, ASK_PATH,
    JSON_DOWNLOAD,
};
use crate::signing::SignatureState;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

#[component]
pub fn MyDataPage() -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let locale = use_locale();
    let query = use_query_map().read_untracked().clone();
    let sent = query.get("sent").is_some();
    let erased = query.get("erased").is_some();
    #[cfg(feature = "ssr")]
    let flash = crate::privacy::on_server::take_flash().unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let flash = crate::privacy::AskFlash::default();
    let problem = (!flash.problem.is_empty()).then(|| flash.problem.clone());
    let title = locale.t("my_data.title");
    let notice = match (sent, erased) {
        (_, true) => Some("my_data.erased"),
        (true, _) => Some("my_data.sent"),
        _ => None,
    };
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=locale.t("my_data.intro") />
        <section class="my-data">
            <h1>{title}</h1>
            {notice
                .map(|key| {
                    view! {
                        <p class="notice" role="status">
                            {locale.t(key)}
                        </p>
                    }
                })}
            <p>{locale.t("my_data.intro")}</p>
            <form method="post" action=ASK_PATH class="ask-form" id="ask">
                <input type="hidden" name="lang" value=locale.code() />
                <div class="field">
                    <label for="email">{locale.t("my_data.email")}</label>
                    <input
                        id="email"
                        name="email"
                        type="email"
                        required
                        autocomplete="email"
                        value=flash.values.email.clone()
                        aria-invalid=problem.as_ref().map(|_| "true")
                        aria-describedby=described_by("email", true, problem.is_some())
                    />
                    <p class="hint" id="email-hint">
                        {locale.t("my_data.email_hint")}
                    </p>
                    {problem
                        .clone()
                        .map(|key| {
                            view! {
                                <p class="field-error" id="email-error">
                                    {locale.t(&key)}
                                </p>
                            }
                        })}
                </div>
                <Honeypot />
                <button type="submit">{locale.t("my_data.ask")}</button>
            </form>
        </section>
    }
    .into_any()
}

#[component]
pub fn MyDataViewPage() -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    token_in_address();
    let locale = use_locale();
    let query = use_query_map().read_untracked().clone();
    let token = query.get("token").unwrap_or_default();
    let confirm_missing = query.get("confirm").is_some();
    let lookup = token.clone();
    let data = Resource::new(
        || (),
        move |_| read_held_data(lookup.clone(), locale.code().to_owned()),
    );
    let title = locale.t("my_data.view_title");
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        <section class="my-data">
            <h1>{title}</h1>
            <Suspense>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(Some(held)) => {
                                view! { <Held held token confirm_missing /> }.into_any()
                            }
                            Ok(None) => {
                                view! {
                                    <p class="token-state" data-state="unknown">
                                        {locale.t("my_data.link_ended")}
                                    </p>
                                    <p>
                                        <a href=locale
                                            .path(ASK_PAGE, false)>{locale.t("my_data.ask_again")}</a>
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
    .into_any()
}

/// A moment as the page shows it: the day in the reader's language, and
/// the time (UTC).
fn moment(locale: Locale, rfc3339: &str) -> String {
    let (day, time) = rfc3339.split_once('T').unwrap_or((rfc3339, ""));
    let day = PartialDate::parse(day)
        .map(|d| d.format(locale))
        .unwrap_or_else(|_| day.to_owned());
    match time.get(..5) {
        Some(hours) => format!("{day}, {hours} UTC"),
        None => day,
    }
}

#[component]
fn Held(held: HeldData, token: String, confirm_missing: bool) -> impl IntoView {
    let locale = use_locale();
    // Only a token the site made opens this page: base64url, which a
    // query carries as it is.
    let json = format!("{JSON_DOWNLOAD}?token={token}&lang={}", locale.code());
    let until = moment(locale, &held.link_works_until);
    let intro = locale
        .t("my_data.view_intro")
        .replace("%{address}", &held.address)
        .replace("%{until}", &until);
    let signatures = if held.signatures.is_empty() {
        view! { <p class="held-none">{locale.t("my_data.none")}</p> }.into_any()
    } else {
        let items = held
            .signatures
            .into_iter()
            .map(|signature| view! { <HeldItem signature /> })
            .collect_view();
        view! { <ul class="held">{items}</ul> }.into_any()
    };
    let follows = if held.follows.is_empty() {
        view! { <p class="held-none">{locale.t("my_data.follows_none")}</p> }.into_any()
    } else {
        let items = held
            .follows
            .into_iter()
            .map(|follow| view! { <HeldFollowItem follow /> })
            .collect_view();
        view! { <ul class="held held-follows">{items}</ul> }.into_any()
    };
    let erase_path = <EraseMyData as ServerFn>::PATH;
    view! {
        <p>{intro}</p>
        <h2>{locale.t("my_data.signatures")}</h2>
        {signatures}
        <h2>{locale.t("my_data.follows")}</h2>
        {follows}
        <p>
            <a href=json download="my-data.json">
                {locale.t("my_data.json")}
            </a>
        </p>
        <h2 id="erase">{locale.t("my_data.erase_heading")}</h2>
        <p>{locale.t("my_data.erase_intro")}</p>
        <form method="post" action=erase_path class="erase-form">
            <input type="hidden" name="lang" value=locale.code() />
            <input type="hidden" name="token" value=token />
            <div class="field check">
                <input
                    id="understood"
                    name="understood"
                    type="checkbox"
                    value="yes"
                    required
                    aria-invalid=confirm_missing.then_some("true")
                    aria-describedby=described_by("understood", false, confirm_missing)
                />
                <label for="understood">{locale.t("my_data.understood")}</label>
                {confirm_missing
                    .then(|| {
                        view! {
                            <p class="field-error" id="understood-error">
                                {locale.t("my_data.understood_missing")}
                            </p>
                        }
                    })}
            </div>
            <button type="submit" class="danger">
                {locale.t("my_data.erase")}
            </button>
        </form>
    }
}

/// One thing held, as the page lists it: what it is, and its value.
fn held_row(locale: Locale, key: &str, value: String) -> impl IntoView {
    view! {
        <dt>{locale.t(key)}</dt>
        <dd>{value}</dd>
    }
}

#[component]
fn HeldItem(signature: HeldSignature) -> impl IntoView {
    let locale = use_locale();
    let heading = match &signature.action {
        Some(action) => {
            let href = locale.path(&format!("/actions/{}", action.slug), false);
            view! {
                <h3>
                    <a href=href>{action.title.clone()}</a>
                </h3>
                <p class="held-person">{action.person.clone()}</p>
            }
            .into_any()
        }
        None => view! { <h3>{locale.t("my_data.case_gone")}</h3> }.into_any(),
    };
    let state = locale.t(match signature.state {
        SignatureState::Pending => "my_data.state_pending",
        SignatureState::Confirmed => "my_data.state_confirmed",
        SignatureState::Withdrawn => "my_data.state_withdrawn",
    });
    let yes_no = |yes: bool| locale.t(if yes { "my_data.yes" } else { "my_data.no" });
    let row = |key: &str, value: String| held_row(locale, key, value);
    view! {
        <li>
            {heading}
            <dl>
                {row("my_data.signed_at", moment(locale, &signature.signed_at))}
                {row("my_data.state", state)}
                {signature
                    .confirmed_at
                    .as_deref()
                    .map(|at| row("my_data.confirmed_at", moment(locale, at)))}
                {row("my_data.name", signature.name.clone())}
                {row("my_data.place", signature.place.clone().unwrap_or_default())}
                {row("my_data.country", signature.country_code.clone().unwrap_or_default())}
                {signature
                    .client_address
                    .clone()
                    .map(|address| row("my_data.client_address", address))}
                {row("my_data.name_shown", yes_no(signature.name_shown))}
                {row("my_data.kept_informed", yes_no(signature.kept_informed))}
                {row("my_data.language", signature.language.clone())}
            </dl>
        </li>
    }
}

#[component]
fn HeldFollowItem(follow: HeldFollow) -> impl IntoView {
    let locale = use_locale();
    let heading = match &follow.person {
        Some((name, slug)) => {
            let href = locale.path(&format!("/persons/{slug}"), false);
            view! {
                <h3>
                    <a href=href>{name.clone()}</a>
                </h3>
            }
            .into_any()
        }
        None => view! { <h3>{locale.t("my_data.case_gone")}</h3> }.into_any(),
    };
    let state = locale.t(if follow.confirmed {
        "my_data.follow_confirmed"
    } else {
        "my_data.follow_pending"
    });
    let row = |key: &str, value: String| held_row(locale, key, value);
    view! {
        <li>
            {heading}
            <dl>
                {row("my_data.follow_since", moment(locale, &follow.asked_at))}
                {row("my_data.follow_state", state)}
                {follow
                    .confirmed_at
                    .as_deref()
                    .map(|at| row("my_data.confirmed_at", moment(locale, at)))}
                {row("my_data.follow_cadence", locale.t(follow.cadence.key()))}
                {row("my_data.language", follow.language.clone())}
            </dl>
        </li>
    }
}
