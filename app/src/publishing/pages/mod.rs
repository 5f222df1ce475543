//! The pages of publishing: a status update (new, edit, preview, publish)
//! and the translation queue with its translation page.
pub mod translations;
pub mod updates;
