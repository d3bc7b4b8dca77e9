//! The tables, as diesel sees them (see `migrations/` for the constraints).

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        user_name -> Text,
        display_name -> Nullable<Text>,
        bio -> Nullable<Text>,
        public_profile_enabled -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    strategies (id) {
        id -> Uuid,
        user_id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        tags -> Array<Text>,
        is_public -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        currency -> Nullable<Text>,
        max_signal_age_seconds -> Nullable<Integer>,
        closed_revision -> Int8,
    }
}

diesel::table! {
    trades (id) {
        id -> Uuid,
        strategy_id -> Uuid,
        user_id -> Text,
        symbol -> Text,
        side -> Text,
        status -> Text,
        event -> Text,
        entry -> Nullable<Float8>,
        stop_loss -> Nullable<Float8>,
        take_profit -> Nullable<Float8>,
        close_price -> Nullable<Float8>,
        opened_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
        signal_time -> Nullable<Timestamptz>,
        timeframe -> Nullable<Text>,
        source -> Nullable<Text>,
        external_reference -> Nullable<Text>,
        signal -> Nullable<Json>,
        market -> Nullable<Json>,
        risk -> Nullable<Json>,
        context -> Nullable<Json>,
        meta -> Nullable<Json>,
        origin -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int8,
        tags -> Array<Text>,
        initial_stop_loss -> Nullable<Float8>,
        position -> Jsonb,
        live -> Bool,
    }
}

diesel::table! {
    trade_events (id) {
        id -> Uuid,
        trade_id -> Uuid,
        version -> Int8,
        kind -> Text,
        at -> Timestamptz,
        by_credential -> Text,
        changes -> Json,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        user_id -> Text,
        name -> Text,
        prefix -> Text,
        hash -> Bytea,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        scopes -> Array<Text>,
        strategy_ids -> Nullable<Array<Uuid>>,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    receipt_targets (user_id, strategy_id, target) {
        user_id -> Text,
        strategy_id -> Uuid,
        target -> Text,
        body_hash -> Bytea,
        trade_id -> Uuid,
        event_id -> Uuid,
        at -> Timestamptz,
    }
}

diesel::table! {
    receipt_keys (user_id, strategy_id, idempotency_key) {
        user_id -> Text,
        strategy_id -> Uuid,
        idempotency_key -> Text,
        body_hash -> Bytea,
        trade_id -> Uuid,
        event_id -> Uuid,
        at -> Timestamptz,
    }
}

diesel::table! {
    signal_log (id) {
        id -> Uuid,
        strategy_id -> Uuid,
        received_at -> Timestamptz,
        event -> Nullable<Text>,
        status -> SmallInt,
        message -> Text,
        code -> Nullable<Text>,
        details -> Jsonb,
        trade_id -> Nullable<Uuid>,
        repeat -> Bool,
        api_key_id -> Nullable<Uuid>,
        body -> Text,
        body_truncated -> Bool,
    }
}

diesel::table! {
    trade_imports (trade_id) {
        trade_id -> Uuid,
        import_id -> Uuid,
        strategy_id -> Uuid,
        import_key -> Text,
    }
}

diesel::table! {
    imports (id) {
        id -> Uuid,
        strategy_id -> Uuid,
        user_id -> Text,
        format -> Text,
        created -> Int8,
        duplicates -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Uuid,
        user_id -> Text,
        url -> Text,
        events -> Array<Text>,
        strategy_ids -> Nullable<Array<Uuid>>,
        secret -> Text,
        created_at -> Timestamptz,
        disabled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_deliveries (webhook_id, event_id) {
        webhook_id -> Uuid,
        event_id -> Uuid,
        event_type -> Text,
        trade_id -> Uuid,
        created_at -> Timestamptz,
        attempts -> Int4,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        state -> Text,
        next_attempt_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        claim -> Nullable<Uuid>,
        claimed_until -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(trade_events -> trades (trade_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    strategies,
    trades,
    trade_events,
    api_keys,
    receipt_targets,
    receipt_keys,
    signal_log,
    imports,
    trade_imports,
    webhooks,
    webhook_deliveries
);
