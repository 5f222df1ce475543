//! The pages behind the two links of the confirmation mail, the link that
//! stops news in an update mail and the link that confirms a follow of a
//! case, and the privacy notice the form asks consent to. Opening a link changes nothing (mail
//! scanners open links); its button does. Each page shows the signature's
//! state as the database has it, so a second visit tells the truth too.
use super::errors::{InternalError, NotFound};
use crate::i18n::{use_locale, Locale};
use crate::signing::unsubscribe::{news_subscription, SubscriptionView};
use crate::signing::{
    signature_by_token, ConfirmSignature, SignatureState, TokenView, WithdrawSignature,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

#[derive(Clone, Copy, PartialEq, Eq)]
enum LinkKind {
    Confirm,
    Withdraw,
}

#[component]
pub fn ConfirmSignaturePage() -> impl IntoView {
    view! { <TokenPage kind=LinkKind::Confirm /> }
}

#[component]
pub fn WithdrawSignaturePage() -> impl IntoView {
    view! { <TokenPage kind=LinkKind::Withdraw /> }
}

/// The address holds a token: it must not leave in a Referer, nor be cached.
pub(super) fn token_in_address() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::header::REFERRER_POLICY,
            http::HeaderValue::from_static("no-referrer"),
        );
        response.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
}

/// The token of the link this page was opened by (its `token`), which then
/// must not leave in a Referer nor be cached.
fn link_token() -> String {
    token_in_address();
    use_query_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default()
}

#[component]
fn TokenPage(kind: LinkKind) -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let token = link_token();
    let locale = use_locale();
    let lookup = token.clone();
    let data = Resource::new(|| (), move |_| signature_by_token(lookup.clone()));
    let title = locale.t(match kind {
        LinkKind::Confirm => "token.confirm_title",
        LinkKind::Withdraw => "token.withdraw_title",
    });
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        <section class="token-page">
            <h1>{title}</h1>
            <Suspense>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(found) => view! { <TokenState kind token found /> }.into_any(),
                            Err(error) => view! { <InternalError error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <YourData />
        </section>
    }
    .into_any()
}

/// Below a link's page: where the address's data can be seen and erased.
#[component]
fn YourData() -> impl IntoView {
    let locale = use_locale();
    view! {
        <h2 id="your-data">{locale.t("privacy.rights_heading")}</h2>
        <p>
            {locale.t("privacy.rights")} " "
            <a href=locale
                .path(crate::privacy::ASK_PAGE, false)>{locale.t("privacy.rights_link")}</a>
        </p>
    }
}

#[component]
fn TokenState(kind: LinkKind, token: String, found: Option<TokenView>) -> impl IntoView {
    let locale = use_locale();
    let Some(found) = found else {
        return view! {
            <p class="token-state" data-state="unknown">
                {locale.t("token.unknown")}
            </p>
            <p>
                <a href=locale.path("/persons", false)>{locale.t("error.go_persons")}</a>
            </p>
        }
        .into_any();
    };
    let action_href = locale.path(&format!("/actions/{}", found.action_slug), false);
    let action_link = match found.action_title.clone() {
        Some(title) => view! { <a href=action_href>{title}</a> }.into_any(),
        None => locale.t("embed.gone").into_any(),
    };
    let state = match found.state {
        SignatureState::Pending => "pending",
        SignatureState::Confirmed => "confirmed",
        SignatureState::Withdrawn => "withdrawn",
    };
    let (message, button) = match (kind, found.state) {
        (_, SignatureState::Withdrawn) => ("token.withdrawn", None),
        (LinkKind::Confirm, SignatureState::Confirmed) => ("token.confirmed", None),
        (LinkKind::Confirm, SignatureState::Pending) if found.action_open => (
            "token.confirm_question",
            Some((<ConfirmSignature as ServerFn>::PATH, "token.confirm_button")),
        ),
        (LinkKind::Confirm, SignatureState::Pending) => ("token.action_closed", None),
        (LinkKind::Withdraw, _) => (
            "token.withdraw_question",
            Some((
                <WithdrawSignature as ServerFn>::PATH,
                "token.withdraw_button",
            )),
        ),
    };
    let form = button.map(|(path, label)| {
        view! {
            <form method="post" action=path class="token-form">
                <input type="hidden" name="token" value=token />
                <input type="hidden" name="lang" value=locale.code() />
                <button type="submit">{locale.t(label)}</button>
            </form>
        }
    });
    view! {
        <p class="token-state" data-state=state>
            {locale.t(message)}
        </p>
        <p class="token-action">{locale.t("token.action")} " " {action_link}</p>
        {form}
    }
    .into_any()
}

/// `/signatures/unsubscribe?token=…`: whose news the link stops, and the
/// button that stops it (a plain form to the one-click address).
#[component]
pub fn UnsubscribePage() -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let token = link_token();
    let locale = use_locale();
    let data = Resource::new(|| (), move |_| news_subscription(token.clone()));
    let title = locale.t("token.unsubscribe_title");
    // A case taken down is named by no page, this one included.
    let whom = move |found: &SubscriptionView| {
        found
            .person_name
            .clone()
            .unwrap_or_else(|| locale.t("token.case_no_longer_shown"))
    };
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        <section class="token-page">
            <h1>{title}</h1>
            <Suspense>
                {move || {
                    Suspend::new(async move {
                        match data.await {
                            Ok(None) => {
                                view! {
                                    <p class="token-state" data-state="unknown">
                                        {locale.t("token.unsubscribe_unknown")}
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(Some(found)) if found.subscribed => {
                                let action = format!(
                                    "{}&lang={}",
                                    found.stop_address,
                                    locale.code(),
                                );
                                view! {
                                    <p class="token-state" data-state="subscribed">
                                        {locale
                                            .t("token.unsubscribe_question")
                                            .replace("%{person}", &whom(&found))}
                                    </p>
                                    <form method="post" action=action class="token-form">
                                        <button type="submit">
                                            {locale.t("token.unsubscribe_button")}
                                        </button>
                                    </form>
                                }
                                    .into_any()
                            }
                            Ok(Some(found)) => {
                                view! {
                                    <p class="token-state" data-state="unsubscribed">
                                        {locale
                                            .t("token.unsubscribed")
                                            .replace("%{person}", &whom(&found))}
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

/// `/follows/confirm?token=…`: the follow the link confirms, and the
/// button that confirms it.
#[component]
pub fn ConfirmFollowPage() -> impl IntoView {
    use crate::signing::follows::{follow_by_token, ConfirmFollow};
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let token = link_token();
    let locale = use_locale();
    let lookup = token.clone();
    let data = Resource::new(|| (), move |_| follow_by_token(lookup.clone()));
    let title = locale.t("token.follow_title");
    let confirm_path = <ConfirmFollow as ServerFn>::PATH;
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        <section class="token-page">
            <h1>{title}</h1>
            <Suspense>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        let found = match data.await {
                            Ok(Some(found)) => found,
                            Ok(None) => {
                                return view! {
                                    <p class="token-state" data-state="unknown">
                                        {locale.t("token.follow_unknown")}
                                    </p>
                                }
                                    .into_any();
                            }
                            Err(error) => return view! { <InternalError error /> }.into_any(),
                        };
                        let Some((name, slug)) = found.person_name.zip(found.person_slug) else {
                            return view! {
                                <p class="token-state" data-state="unknown">
                                    {locale.t("token.follow_case_gone")}
                                </p>
                            }
                                .into_any();
                        };
                        let person = view! {
                            <a href=locale
                                .path(&format!("/persons/{slug}"), false)>{name.clone()}</a>
                        };
                        let cadence = locale.t(found.cadence.key());
                        if found.confirmed {
                            return view! {
                                <p class="token-state" data-state="confirmed">
                                    {locale.t("token.follow_confirmed").replace("%{person}", &name)}
                                </p>
                                <p class="token-cadence">{cadence}</p>
                                <p>{person}</p>
                            }
                                .into_any();
                        }
                        view! {
                            <p class="token-state" data-state="pending">
                                {locale.t("token.follow_question").replace("%{person}", &name)}
                            </p>
                            <p class="token-cadence">{cadence}</p>
                            <form method="post" action=confirm_path class="token-form">
                                <input type="hidden" name="token" value=token />
                                <input type="hidden" name="lang" value=locale.code() />
                                <button type="submit">{locale.t("token.follow_button")}</button>
                            </form>
                            <p>{person}</p>
                        }
                            .into_any()
                    })
                }}
            </Suspense>
            <YourData />
        </section>
    }
    .into_any()
}

#[component]
pub fn PrivacyPage() -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let locale: Locale = use_locale();
    let title = locale.t("privacy.title");
    let terms = Resource::new(|| (), |_| crate::signing::privacy_terms());
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=locale.t("privacy.what") />
        <section class="privacy">
            <h1>{title}</h1>
            <Suspense>
                {move || Suspend::new(async move {
                    let terms = match terms.await {
                        Ok(terms) => terms,
                        Err(error) => return view! { <InternalError error /> }.into_any(),
                    };
                    let days = |key: &str| {
                        locale
                            .t(key)
                            .replace("%{days}", &terms.retention_days.to_string())
                            .replace("%{unconfirmed}", &terms.unconfirmed_days.to_string())
                            .replace("%{withdrawn}", &terms.withdrawn_days.to_string())
                            .replace("%{address}", &terms.address_days.to_string())
                            .replace("%{kept}", &terms.kept_at_most_days.to_string())
                    };
                    [
                        "privacy.what",
                        "privacy.why",
                        "privacy.public",
                        "privacy.delivery",
                        "privacy.retention",
                        "privacy.forgetting",
                        "privacy.withdraw",
                        "privacy.follows",
                        "privacy.sealed",
                        "privacy.reports",
                    ]
                        .into_iter()
                        .map(|key| view! { <p>{days(key)}</p> })
                        .collect_view()
                        .into_any()
                })}
            </Suspense>
        </section>
    }
    .into_any()
}
