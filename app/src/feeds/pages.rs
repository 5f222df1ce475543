//! `/staff/feeds` and `/staff/inbox`: communications staff follow partner
//! feeds, and review what they bring: publish an entry as a status event or
//! dismiss it.
use super::inbox::{
    entry_form, feed_inbox, DismissFeedEntry, InboxEntry, InboxWorkspace, PublishFeedEntry,
    WithdrawnEntry,
};
use super::subscriptions::{
    staff_feeds, FeedState, FeedsWorkspace, FollowFeed, PersonChoices, TrustFeed, UnfollowFeed,
    FOLLOW_FORM,
};
use crate::backoffice::forms::FormFlash;
use crate::backoffice::pages::forms::{
    gate, gated, FlashNotice, LangField, SelectField, StaffNav, TextField,
};
use crate::domain::{Permission, Status};
use crate::i18n::use_locale;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};

fn person_options(persons: &PersonChoices, none_label: String) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), none_label)];
    options.extend(persons.iter().cloned());
    options
}

/// A fetch problem (its code, see `sync::client::Problem`) in the page's language.
/// The raw error stays in the server's log.
fn problem_text(locale: crate::i18n::Locale, code: &str) -> String {
    let (class, status) = code.split_once(':').unwrap_or((code, ""));
    let key = format!("feeds.problem_{}", class.replace('-', "_"));
    let text = locale.t(&key);
    if text.ends_with(&key) {
        // A problem recorded before problems had codes: shown as it was kept.
        return code.to_owned();
    }
    text.replace("%{status}", status)
}

#[component]
pub fn StaffFeedsPage() -> impl IntoView {
    crate::backoffice::pages::private_page();
    let locale = use_locale();
    let data = Resource::new(|| (), |_| gate(Permission::ReadFeeds, staff_feeds()));
    let title = locale.t("feeds.title");
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: FeedsWorkspace| {
                let flash = page.flash.clone();
                let f = FOLLOW_FORM;
                view! {
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{title.clone()}</h1>
                        <FlashNotice flash=flash.clone() />
                        <p>{locale.t("feeds.intro")}</p>
                        {page.feeds.is_empty().then(|| view! { <p>{locale.t("feeds.none")}</p> })}
                        <ul class="feed-list">
                            {page
                                .feeds
                                .iter()
                                .map(|feed| {
                                    let (may_follow, may_trust) = (page.may_follow, page.may_trust);
                                    let state = match feed.state {
                                        FeedState::Enabled => "feeds.state_enabled",
                                        FeedState::Flagged => "feeds.state_flagged",
                                        FeedState::Disabled => "feeds.state_disabled",
                                    };
                                    view! {
                                        <li class="feed">
                                            <h2>{feed.partner.clone()}</h2>
                                            <p class="feed-url">
                                                <a href=feed.url.clone() rel="noopener noreferrer">
                                                    {feed.url.clone()}
                                                </a>
                                            </p>
                                            <dl>
                                                <dt>{locale.t("feeds.state")}</dt>
                                                <dd class=format!(
                                                    "feed-state {}",
                                                    state.trim_start_matches("feeds.state_"),
                                                )>{locale.t(state)}</dd>
                                                <dt>{locale.t("feeds.trusted")}</dt>
                                                <dd>
                                                    {locale
                                                        .t(if feed.trusted { "feeds.yes" } else { "feeds.no" })}
                                                </dd>
                                                <dt>{locale.t("feeds.default_person")}</dt>
                                                <dd>
                                                    {feed
                                                        .default_person
                                                        .clone()
                                                        .unwrap_or_else(|| "—".into())}
                                                </dd>
                                                <dt>{locale.t("feeds.entries")}</dt>
                                                <dd>{feed.entries}</dd>
                                                <dt>{locale.t("feeds.last_fetched")}</dt>
                                                <dd>
                                                    {feed
                                                        .last_fetched
                                                        .clone()
                                                        .unwrap_or_else(|| locale.t("feeds.never"))}
                                                </dd>
                                                {feed
                                                    .last_error
                                                    .clone()
                                                    .map(|error| {
                                                        view! {
                                                            <dt>{locale.t("feeds.last_error")}</dt>
                                                            <dd class="feed-error" data-problem=error.clone()>
                                                                {problem_text(locale, &error)}
                                                                " ("
                                                                {feed.error_count}
                                                                ")"
                                                            </dd>
                                                        }
                                                    })}
                                            </dl>
                                            {may_trust
                                                .then(|| {
                                                    view! {
                                                        <form
                                                            method="post"
                                                            action={<TrustFeed as ServerFn>::PATH}
                                                            class="inline-form"
                                                        >
                                                            <LangField />
                                                            <input
                                                                type="hidden"
                                                                name="feed"
                                                                value=feed.id.to_string()
                                                            />
                                                            <input
                                                                type="hidden"
                                                                name="trusted"
                                                                value=(!feed.trusted).to_string()
                                                            />
                                                            <button type="submit">
                                                                {locale
                                                                    .t(
                                                                        if feed.trusted { "feeds.untrust" } else { "feeds.trust" },
                                                                    )}
                                                            </button>
                                                        </form>
                                                    }
                                                })}
                                            {may_follow
                                                .then(|| {
                                                    view! {
                                                        <form
                                                            method="post"
                                                            action={<UnfollowFeed as ServerFn>::PATH}
                                                            class="inline-form"
                                                        >
                                                            <LangField />
                                                            <input
                                                                type="hidden"
                                                                name="feed"
                                                                value=feed.id.to_string()
                                                            />
                                                            <button type="submit">{locale.t("feeds.unfollow")}</button>
                                                        </form>
                                                    }
                                                })}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                        {page
                            .may_follow
                            .then(|| {
                                view! {
                                    <h2>{locale.t("feeds.follow_heading")}</h2>
                                    <form
                                        method="post"
                                        action={<FollowFeed as ServerFn>::PATH}
                                        class="staff-form"
                                    >
                                        <LangField />
                                        <TextField
                                            form=f
                                            name="url"
                                            label=locale.t("feeds.url")
                                            value=String::new()
                                            flash=flash.clone()
                                            kind="url"
                                            required=true
                                        />
                                        <TextField
                                            form=f
                                            name="partner"
                                            label=locale.t("feeds.partner")
                                            value=String::new()
                                            flash=flash.clone()
                                            required=true
                                        />
                                        <SelectField
                                            form=f
                                            name="person"
                                            label=locale.t("feeds.default_person")
                                            value=String::new()
                                            flash=flash.clone()
                                            options=person_options(
                                                &page.persons,
                                                locale.t("feeds.no_default_person"),
                                            )
                                        />
                                        <SelectField
                                            form=f
                                            name="language"
                                            label=locale.t("feeds.language")
                                            value=locale.code().to_owned()
                                            flash=flash.clone()
                                            options=locale.language_choices()
                                        />
                                        <p class="hint">{locale.t("feeds.language_hint")}</p>
                                        <p class="hint">{locale.t("feeds.trust_hint")}</p>
                                        <button type="submit">{locale.t("feeds.follow")}</button>
                                    </form>
                                }
                            })}
                    </section>
                }
            },
        )}
    }
}

#[component]
fn InboxItem(entry: InboxEntry, persons: PersonChoices, flash: Option<FormFlash>) -> impl IntoView {
    let locale = use_locale();
    let form = entry_form(entry.id);
    let mut statuses = vec![(String::new(), locale.t("staff.status_none"))];
    statuses.extend(
        Status::ALL
            .iter()
            .map(|s| (s.slug().to_owned(), locale.t(&s.label_key()))),
    );
    let title: String = entry.title.chars().take(200).collect();
    let (person, date) = (
        entry.person.clone().unwrap_or_default(),
        entry.published_on.clone().unwrap_or_default(),
    );
    let matched = match &entry.person_name {
        Some(name) => view! { <strong>{name.clone()}</strong> }.into_any(),
        None => view! { <em>{locale.t("feeds.no_match")}</em> }.into_any(),
    };
    view! {
        <li class="inbox-entry" id=form.clone()>
            <h2>{entry.title.clone()}</h2>
            <p class="entry-meta">
                {locale.t("feeds.from")} " " <strong>{entry.partner.clone()}</strong>
                {entry
                    .published_on
                    .clone()
                    .map(|d| {
                        view! {
                            " · "
                            <time>{d}</time>
                        }
                    })} " · " {locale.t("feeds.matched")} " " {matched}
            </p>
            {entry
                .url
                .clone()
                .map(|url| {
                    let text = url.clone();
                    view! {
                        <p class="entry-link">
                            <a href=url rel="noopener noreferrer">
                                {text}
                            </a>
                        </p>
                    }
                })}
            // Sanitized when it was fetched: what is stored is what is rendered.
            {entry
                .summary_html
                .clone()
                .map(|html| view! { <div class="entry-body" inner_html=html></div> })}
            <form method="post" action={<PublishFeedEntry as ServerFn>::PATH} class="staff-form">
                <LangField />
                <input type="hidden" name="entry" value=entry.id.to_string() />
                <SelectField
                    form=form.clone()
                    name="person"
                    label=locale.t("feeds.person")
                    value=person
                    flash=flash.clone()
                    options=person_options(&persons, locale.t("feeds.choose_person"))
                    required=true
                />
                <TextField
                    form=form.clone()
                    name="occurred_on"
                    label=locale.t("staff.occurred_on")
                    value=date
                    flash=flash.clone()
                    hint=locale.t("staff.date_hint")
                    required=true
                />
                <SelectField
                    form=form.clone()
                    name="status"
                    label=locale.t("staff.status")
                    value=String::new()
                    flash=flash.clone()
                    options=statuses
                />
                <TextField
                    form=form.clone()
                    name="title"
                    label=locale.t("staff.update_title")
                    value=title
                    flash=flash.clone()
                    required=true
                />
                <button type="submit">{locale.t("feeds.publish")}</button>
            </form>
            <form method="post" action={<DismissFeedEntry as ServerFn>::PATH} class="inline-form">
                <LangField />
                <input type="hidden" name="entry" value=entry.id.to_string() />
                <button type="submit" class="secondary">
                    {locale.t("feeds.dismiss")}
                </button>
            </form>
        </li>
    }
}

#[component]
pub fn StaffInboxPage() -> impl IntoView {
    crate::backoffice::pages::private_page();
    let locale = use_locale();
    let data = Resource::new(|| (), |_| gate(Permission::ReviewFeeds, feed_inbox()));
    let title = locale.t("feeds.inbox_title");
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: InboxWorkspace| {
                let flash = page.flash.clone();
                view! {
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{title.clone()}</h1>
                        <FlashNotice flash=flash.clone() />
                        <p class="inbox-count">
                            {locale
                                .t("feeds.waiting")
                                .replace("%{count}", &page.waiting.to_string())}
                        </p>
                        <ol class="inbox">
                            {page
                                .entries
                                .iter()
                                .map(|entry| {
                                    view! {
                                        <InboxItem
                                            entry=entry.clone()
                                            persons=page.persons.clone()
                                            flash=flash.clone()
                                        />
                                    }
                                })
                                .collect_view()}
                        </ol>
                        <WithdrawnEntries entries=page.withdrawn.clone() />
                    </section>
                }
            },
        )}
    }
}

/// What partners took down lately, and what that did here: staff are told
/// why an entry left the inbox or an update left the timeline.
#[component]
fn WithdrawnEntries(entries: Vec<WithdrawnEntry>) -> impl IntoView {
    let locale = use_locale();
    (!entries.is_empty()).then(|| {
        view! {
            <h2 id="withdrawn">{locale.t("feeds.withdrawn_heading")}</h2>
            <p class="hint">{locale.t("feeds.withdrawn_hint")}</p>
            <ul class="withdrawn">
                {entries
                    .into_iter()
                    .map(|entry| {
                        let what = if entry.was_published {
                            locale.t("feeds.withdrawn_unpublished")
                        } else {
                            locale.t("feeds.withdrawn_left_inbox")
                        };
                        view! {
                            <li>
                                <time datetime=entry
                                    .withdrawn_on
                                    .clone()>{entry.withdrawn_on.clone()}</time>
                                " · "
                                {entry.partner}
                                " · "
                                {entry.person_name.map(|name| format!("{name}: "))}
                                {entry.title}
                                " · "
                                {what}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}
