//! The store contract: the behaviour every store adapter must show, written
//! once and run against each (the embedded store, DynamoDB, the in-memory
//! fake). An adapter's tests run a suite with its macro and a `factory`, an
//! async fn returning `(Arc<store>, guard)`; the guard (a temp dir, a
//! table to drop) lives as long as the test.
//!
//! | macro | cases |
//! |---|---|
//! | `conversation_store_contract!` | `conversations` |
//! | `memory_store_contract!` | `memories`, `index_log` |
//! | `personal_data_contract!` | `personal_data`, `settings_checkins_journal`, `index_log` (erase) |
//! | `safety_reports_contract!` | `reports` |

pub mod conversations;
pub mod index_log;
pub mod memories;
pub mod personal_data;
pub mod reports;
pub mod settings_checkins_journal;

use crate::domain::ids::UserId;
use crate::ports::{
    CheckinStore, ConversationStore, JournalStore, MemoryStore, PersonalData, SettingsStore,
};
use chrono::{Duration, TimeZone, Utc};

/// A user of one test alone, so that tests sharing a store never meet.
fn user(name: &str) -> UserId {
    UserId::parse(format!("{name}-{}", uuid::Uuid::now_v7().simple())).unwrap()
}

/// `minute` minutes into the contract's fixed morning.
fn at(minute: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap() + Duration::minutes(minute)
}

/// Every store port at once: what the personal-data suite seeds and reads
/// through.
pub trait AllStores:
    ConversationStore + MemoryStore + PersonalData + SettingsStore + CheckinStore + JournalStore
{
}

impl<S> AllStores for S where
    S: ConversationStore
        + MemoryStore
        + PersonalData
        + SettingsStore
        + CheckinStore
        + JournalStore
        + ?Sized
{
}

/// One `#[tokio::test]` per case of `$suite`, each on a fresh store.
#[doc(hidden)]
#[macro_export]
macro_rules! contract_cases {
    ($factory:path; $suite:ident; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (store, _guard) = $factory().await;
                $crate::contract::$suite::$case(store).await;
            }
        )*
    };
}

/// Run every `ConversationStore` contract case against one adapter.
#[macro_export]
macro_rules! conversation_store_contract {
    ($factory:path) => {
        $crate::contract_cases!($factory; conversations;
            first_message_creates_a_session,
            reply_is_stored_with_its_metadata,
            remember_marks_are_kept,
            only_one_reply_is_stored_per_message,
            client_message_id_is_idempotent,
            unknown_session_is_not_found,
            users_are_isolated,
            messages_page_oldest_first,
            sessions_page_newest_first,
            recent_messages_are_bounded_and_end_at_seq,
            foreign_cursor_is_rejected,
            crisis_flag_is_stored_with_its_message_once,
            a_flag_recorded_after_its_message_is_listed_once,
            an_assessment_is_kept_with_its_message,
            activity_is_indexed_by_day,
        );
    };
}

/// Run every `MemoryStore` contract case, the index log's included,
/// against one adapter.
#[macro_export]
macro_rules! memory_store_contract {
    ($factory:path) => {
        $crate::contract_cases!($factory; memories;
            an_extraction_range_is_claimed_once,
            a_job_is_written_together_and_only_once,
            supersede_keeps_history_and_lists_filter,
            a_job_never_overwrites_an_edit_made_meanwhile,
            forgetting_leaves_a_tombstone_and_is_scoped_to_its_owner,
        );
        $crate::contract_cases!($factory; index_log;
            the_index_log_records_each_change_in_its_write,
            concurrent_index_writes_never_leave_a_gap,
            a_snapshot_stands_for_the_entries_it_covers,
            a_snapshot_of_another_generation_is_refused,
        );
    };
}

/// Run every `PersonalData` contract case, with the settings, check-in and
/// journal cases, against one adapter.
#[macro_export]
macro_rules! personal_data_contract {
    ($factory:path) => {
        $crate::contract_cases!($factory; personal_data;
            export_holds_every_kind_across_pages,
            erase_leaves_nothing_and_spares_others,
            no_job_writes_back_after_an_erase,
            import_twice_gives_one_copy,
            flagged_import_lines_are_stored_with_their_flag_once,
            everyone_with_a_history_is_listed_once,
        );
        $crate::contract_cases!($factory; settings_checkins_journal;
            settings_checkins_and_journal,
        );
        $crate::contract_cases!($factory; index_log;
            erase_removes_index_snapshots,
        );
    };
}

/// Run every `SafetyReports` contract case against one adapter.
#[macro_export]
macro_rules! safety_reports_contract {
    ($factory:path) => {
        $crate::contract_cases!($factory; reports;
            referrals_are_counted_by_day_category_locale_and_layer,
            concurrent_referrals_lose_no_count,
        );
    };
}
