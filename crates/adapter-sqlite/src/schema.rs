//! The tables, as diesel sees them (`migrations/` makes them).

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        user_name -> Text,
        display_name -> Nullable<Text>,
        bio -> Nullable<Text>,
        public_profile_enabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    strategies (id) {
        id -> Text,
        user_id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        tags -> Text,
        is_public -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        currency -> Nullable<Text>,
        max_signal_age_seconds -> Nullable<Integer>,
        closed_revision -> BigInt,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        prefix -> Text,
        hash -> Binary,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        scopes -> Text,
        strategy_ids -> Nullable<Text>,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    signal_log (id) {
        id -> Text,
        strategy_id -> Text,
        received_at -> BigInt,
        event -> Nullable<Text>,
        status -> Integer,
        message -> Text,
        code -> Nullable<Text>,
        details -> Text,
        trade_id -> Nullable<Text>,
        repeat -> Bool,
        api_key_id -> Nullable<Text>,
        body -> Text,
        body_truncated -> Bool,
    }
}

diesel::joinable!(strategies -> users (user_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(signal_log -> strategies (strategy_id));
diesel::allow_tables_to_appear_in_same_query!(users, strategies, api_keys, signal_log);
