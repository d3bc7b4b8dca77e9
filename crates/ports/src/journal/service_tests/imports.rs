//! The import use cases: who may import, what a file must say, and what reaches the store (nothing, for a file
//! with a bad line).

use quantarya_domain::{Import, ImportFormat, ImportKey, Origin, PointValue};
use uuid::Uuid;

use super::*;
use crate::ImportFile;

const LIST: &str = "Trade #,Type,Signal,Date/Time,Price USD,Contracts,Run-up USD,Drawdown USD\n\
                    1,Exit long,TP,2024-03-08 15:45,5030,2,3500,-500\n\
                    1,Entry long,Long,2024-03-08 09:30,5000,2,3500,-500\n";

fn list(format: ImportFormat, bytes: &str) -> ImportFile {
    ImportFile {
        format,
        bytes: bytes.as_bytes().to_vec(),
        symbol: Some(Symbol::parse("ES1!").expect("valid")),
        time_zone: None,
        point_value: Some(PointValue::new(50.0).expect("valid")),
    }
}

#[tokio::test]
async fn an_api_key_may_not_import_export_or_delete_an_import() {
    let service = Mocks::default().service();
    let strategy = StrategyId::from_uuid(Uuid::now_v7());
    let refused = |result: Result<(), JournalError>| {
        assert!(matches!(result, Err(JournalError::Forbidden(ForbiddenKind::ApiKeyNotAllowed))), "{result:?}");
    };
    let key = key_principal();
    refused(service.import_trades(&key, strategy, list(ImportFormat::TradingView, LIST)).await.map(drop));
    refused(service.list_imports(&key, strategy).await.map(drop));
    let import = quantarya_domain::ImportId::from_uuid(Uuid::now_v7());
    refused(service.delete_import(&key, strategy, import).await.map(drop));
    refused(service.export_page(&key, strategy, None, 10).await.map(drop));
}

/// The owner's strategy, as the store answers it.
fn owned(mocks: &mut Mocks, strategy: StrategyId) {
    mocks
        .strategies
        .expect_get_strategy()
        .returning(move |_, _| Ok(Some(Strategy { id: strategy, ..super::strategy() })));
}

#[tokio::test]
async fn a_list_becomes_imported_trades_in_one_store_call() {
    let strategy = StrategyId::from_uuid(Uuid::now_v7());
    let mut mocks = Mocks::default();
    owned(&mut mocks, strategy);
    mocks.imports.expect_insert_import().times(1).returning(move |import, trades| {
        assert_eq!((import.strategy_id, import.format, trades.len()), (strategy, ImportFormat::TradingView, 1));
        let trade = &trades[0].trade;
        assert_eq!((trade.origin, trade.strategy_id, trade.symbol.as_str()), (Origin::Import, strategy, "ES1!"));
        assert_eq!(trade.max_favorable_price.map(|p| p.get()), Some(5035.0), "3500 over two contracts of 50");
        assert_eq!(trades[0].key, ImportKey::listed("tradingview:1:2024-03-08T09:30:00Z"));
        Ok(Import { created: 1, ..import.clone() })
    });
    let service = mocks.service();
    let import = service.import_trades(&jwt_principal(), strategy, list(ImportFormat::TradingView, LIST)).await;
    assert_eq!(import.expect("imported").created, 1);
}

#[tokio::test]
async fn a_file_with_bad_lines_reaches_no_store() {
    let strategy = StrategyId::from_uuid(Uuid::now_v7());
    let mut mocks = Mocks::default();
    owned(&mut mocks, strategy);
    let service = mocks.service();
    let broken = LIST.replace("5030", "lots");
    let refused = service.import_trades(&jwt_principal(), strategy, list(ImportFormat::TradingView, &broken)).await;
    let Err(JournalError::Invalid(fields)) = refused else { panic!("{refused:?}") };
    assert_eq!(fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["line 2"]);
    let no_symbol = ImportFile { symbol: None, ..list(ImportFormat::TradingView, LIST) };
    let refused = service.import_trades(&jwt_principal(), strategy, no_symbol).await;
    assert!(matches!(&refused, Err(JournalError::Invalid(f)) if f[0].field == "symbol"), "{refused:?}");
    let refused = service.import_trades(&jwt_principal(), strategy, list(ImportFormat::Quantarya, LIST)).await;
    assert!(matches!(&refused, Err(JournalError::Invalid(f)) if f[0].field == "symbol"), "{refused:?}");
}

#[tokio::test]
async fn an_open_reference_taken_is_a_conflict_and_a_missing_strategy_not_found() {
    let strategy = StrategyId::from_uuid(Uuid::now_v7());
    let mut mocks = Mocks::default();
    let mut calls = 0;
    owned(&mut mocks, strategy);
    mocks.imports.expect_insert_import().times(2).returning(move |_, _| {
        calls += 1;
        Err(if calls == 1 { StoreError::Conflict(StoreConflict::OpenTradeExists) } else { StoreError::Missing })
    });
    mocks.users.expect_get_user().returning(|_| Ok(Some(profile())));
    let service = mocks.service();
    let file = || list(ImportFormat::TradingView, LIST);
    let conflict = service.import_trades(&jwt_principal(), strategy, file()).await;
    assert!(
        matches!(conflict, Err(JournalError::Conflict { kind: ConflictKind::TradeAlreadyOpen, .. })),
        "{conflict:?}"
    );
    let missing = service.import_trades(&jwt_principal(), strategy, file()).await;
    assert!(matches!(missing, Err(JournalError::NotFound("strategy"))), "{missing:?}");
}

#[tokio::test]
async fn a_file_is_not_read_for_a_strategy_that_is_not_the_callers() {
    let mut mocks = Mocks::default();
    mocks.strategies.expect_get_strategy().returning(|_, _| Ok(None));
    mocks.users.expect_get_user().returning(|_| Ok(None));
    let service = mocks.service();
    let strategy = StrategyId::from_uuid(Uuid::now_v7());
    // A broken file: were it read first, the answer would be 422.
    let refused = service.import_trades(&jwt_principal(), strategy, list(ImportFormat::TradingView, "junk")).await;
    assert!(matches!(refused, Err(JournalError::Forbidden(ForbiddenKind::ProfileRequired))), "{refused:?}");
}
