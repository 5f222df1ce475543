//! Integration tests, one binary: the data layer on both backends, the
//! public pages over real HTTP, and the command line.
mod helpers;

mod accessibility;
mod accounts;
mod actions_list;
mod at_rest;
mod backups;
mod cli;
mod connections;
mod consent;
mod data_requests;
mod even_answers;
mod federation;
mod feed_sync;
mod feeds;
mod instances;
mod internal_facts;
mod layout;
mod migrations;
mod open_data;
mod outcomes;
mod pages;
mod passkeys;
mod passwords;
mod portraits;
mod render_cache;
mod schema;
mod second_factor;
mod sign_form;
mod signing;
mod staff;
mod staff_work;
mod story;
mod takedown;
mod translations;
mod valid_html;
