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

diesel::table! {
    trades (id) {
        id -> Text,
        strategy_id -> Text,
        user_id -> Text,
        symbol -> Text,
        side -> Text,
        status -> Text,
        event -> Text,
        entry -> Nullable<Double>,
        stop_loss -> Nullable<Double>,
        take_profit -> Nullable<Double>,
        close_price -> Nullable<Double>,
        opened_at -> BigInt,
        closed_at -> Nullable<BigInt>,
        signal_time -> Nullable<BigInt>,
        timeframe -> Nullable<Text>,
        source -> Nullable<Text>,
        external_reference -> Nullable<Text>,
        signal -> Nullable<Text>,
        market -> Nullable<Text>,
        risk -> Nullable<Text>,
        context -> Nullable<Text>,
        meta -> Nullable<Text>,
        origin -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        version -> BigInt,
        tags -> Text,
        initial_stop_loss -> Nullable<Double>,
        position -> Text,
        live -> Bool,
    }
}

diesel::table! {
    trade_events (id) {
        id -> Text,
        trade_id -> Text,
        version -> BigInt,
        kind -> Text,
        at -> BigInt,
        by_credential -> Text,
        changes -> Text,
    }
}

diesel::table! {
    receipt_targets (user_id, strategy_id, target) {
        user_id -> Text,
        strategy_id -> Text,
        target -> Text,
        body_hash -> Binary,
        trade_id -> Text,
        event_id -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    receipt_keys (user_id, strategy_id, idempotency_key) {
        user_id -> Text,
        strategy_id -> Text,
        idempotency_key -> Text,
        body_hash -> Binary,
        trade_id -> Text,
        event_id -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    imports (id) {
        id -> Text,
        strategy_id -> Text,
        user_id -> Text,
        format -> Text,
        created -> BigInt,
        duplicates -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    trade_imports (trade_id) {
        trade_id -> Text,
        import_id -> Text,
        strategy_id -> Text,
        import_key -> Text,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        user_id -> Text,
        url -> Text,
        events -> Text,
        strategy_ids -> Nullable<Text>,
        secret -> Text,
        created_at -> BigInt,
        disabled_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_trades (event_id) {
        event_id -> Text,
        trade -> Text,
    }
}

diesel::table! {
    webhook_deliveries (webhook_id, event_id) {
        webhook_id -> Text,
        event_id -> Text,
        event_type -> Text,
        trade_id -> Text,
        created_at -> BigInt,
        attempts -> Integer,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        state -> Text,
        next_attempt_at -> Nullable<BigInt>,
        finished_at -> Nullable<BigInt>,
        claim -> Nullable<Text>,
        claimed_until -> Nullable<BigInt>,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(trade_events -> trades (trade_id));
diesel::joinable!(strategies -> users (user_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(signal_log -> strategies (strategy_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    strategies,
    api_keys,
    signal_log,
    trades,
    trade_events,
    receipt_targets,
    receipt_keys,
    imports,
    trade_imports,
    webhooks,
    webhook_trades,
    webhook_deliveries
);
