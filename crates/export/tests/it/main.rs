//! The files as a person opens them: the XLSX read back with calamine, the SVG parsed as XML.

use std::io::{Cursor, Read};

use aftersales_export::{Cell, Chart, ChartKind, Column, Kind, Sheet, XlsxStream, csv, svg_linked, xlsx};
use calamine::{Data, Reader, Xlsx};

fn weekly() -> Sheet {
    let d = jiff::civil::date(2026, 11, 30);
    Sheet {
        name: "每周报修事件分析表".into(),
        title: "每周报修事件分析表".into(),
        notes: vec!["统计周期：2026-11-30 至 2026-12-06".into(), "蓝色项权重 1，红色项权重 2".into()],
        columns: vec![
            Column::new("一线技术人员", Kind::Text),
            Column::new("总派工数", Kind::Integer),
            Column::new("平均故障修复时间（小时）", Kind::Decimal),
            Column::new("行动力指数", Kind::Percent),
            Column::new("首次派工日", Kind::Date),
            Column::new("最后结案时间", Kind::DateTime),
        ],
        rows: vec![
            vec![
                "张伟".into(),
                Cell::Int(12),
                Cell::Num(5.25),
                Cell::Percent(0.75),
                Cell::Date(d),
                Cell::DateTime(d.at(9, 30, 0, 0)),
            ],
            vec![
                "=cmd|' /C calc'!A0".into(),
                Cell::Int(3),
                Cell::Num(1.5),
                Cell::Percent(1.0),
                Cell::Empty,
                Cell::Empty,
            ],
            vec!["@李娜".into(), Cell::Int(0), Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty],
        ],
        totals: Some(vec!["合计".into(), Cell::Int(15), Cell::Num(4.5), Cell::Percent(0.8), Cell::Empty, Cell::Empty]),
        charts: vec![Chart { title: "总派工数".into(), kind: ChartKind::Column, categories: 0, series: vec![1] }],
    }
}

fn zip_entry(bytes: &[u8], name: &str) -> Option<String> {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip file");
    let mut f = z.by_name(name).ok()?;
    let mut s = String::new();
    f.read_to_string(&mut s).expect("utf-8 xml");
    Some(s)
}

#[test]
fn the_excel_file_holds_numbers_dates_and_text_where_the_report_has_them() {
    let bytes = xlsx(&[weekly()]).expect("an xlsx file");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).expect("Excel opens it");
    assert_eq!(book.sheet_names(), vec!["每周报修事件分析表".to_owned()]);
    let range = book.worksheet_range("每周报修事件分析表").expect("the sheet");
    // Title, two notes, a blank row, then the header on row 4.
    assert_eq!(range.get_value((0, 0)), Some(&Data::String("每周报修事件分析表".into())));
    assert_eq!(range.get_value((4, 1)), Some(&Data::String("总派工数".into())));
    assert_eq!(range.get_value((5, 1)), Some(&Data::Float(12.0)), "a count is a number, not text");
    assert_eq!(range.get_value((5, 2)), Some(&Data::Float(5.25)), "kept at full precision");
    assert_eq!(range.get_value((5, 3)), Some(&Data::Float(0.75)));
    assert!(
        matches!(range.get_value((5, 4)), Some(Data::DateTime(_))),
        "a date is a date: {:?}",
        range.get_value((5, 4))
    );
    assert!(matches!(range.get_value((5, 5)), Some(Data::DateTime(_))));
    // A formula-looking text is stored as that very text, never as a formula.
    assert_eq!(range.get_value((6, 0)), Some(&Data::String("=cmd|' /C calc'!A0".into())));
    let formulas = book.worksheet_formula("每周报修事件分析表").expect("formulas");
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula in the file");
    // The totals row equals the sum of its column.
    let sum: f64 = (5..8)
        .filter_map(|r| range.get_value((r, 1)))
        .filter_map(|d| if let Data::Float(f) = d { Some(*f) } else { None })
        .sum();
    assert_eq!(range.get_value((8, 1)), Some(&Data::Float(sum)));

    let sheet_xml = zip_entry(&bytes, "xl/worksheets/sheet1.xml").expect("the sheet's xml");
    assert!(sheet_xml.contains(r#"state="frozen""#) && sheet_xml.contains(r#"topLeftCell="A6""#), "header frozen");
    assert!(sheet_xml.contains("<col "), "column widths are set");
    let styles = zip_entry(&bytes, "xl/styles.xml").expect("styles");
    assert!(styles.contains(r#"quotePrefix="1""#), "formula-looking text carries the quote prefix");
    assert!(styles.contains("0.0%") && styles.contains("yyyy-mm-dd hh:mm"));
    let chart = zip_entry(&bytes, "xl/charts/chart1.xml").expect("a native Excel chart");
    assert!(chart.contains("<c:barChart>") && chart.contains("$B$6:$B$8"), "the chart reads the sheet's cells");
}

#[test]
fn the_csv_and_excel_totals_are_the_same_numbers() {
    let s = weekly();
    let text = csv(&s);
    let last = text.trim_end().lines().last().expect("a totals line").to_owned();
    assert_eq!(last, "合计,15,4.5,0.8000,,");
    assert!(text.contains("\"'=cmd|' /C calc'!A0\"") || text.contains("'=cmd|' /C calc'!A0"), "{text}");
    assert!(text.contains("\r\n'@李娜,"), "{text}");
}

#[test]
fn a_streamed_sheet_reads_back_row_for_row() {
    let head = Sheet {
        name: "工单".into(),
        title: "工单清单".into(),
        columns: vec![
            Column::new("工单号", Kind::Text),
            Column::new("时长", Kind::Decimal),
            Column::new("受理时间", Kind::DateTime),
        ],
        ..Sheet::default()
    };
    let mut s = XlsxStream::new(&head).expect("a stream");
    let t = jiff::civil::date(2026, 12, 1).at(8, 0, 0, 0);
    for i in 0..5000i64 {
        s.push(&[Cell::Text(format!("20261201-{i:04}")), Cell::Num(i as f64 / 10.0), Cell::DateTime(t)])
            .expect("a row");
    }
    let mut out = Vec::new();
    assert_eq!(s.finish(&mut out).expect("written"), 5000);
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(out)).expect("Excel opens it");
    let range = book.worksheet_range("工单").expect("the sheet");
    assert_eq!(range.get_value((2, 0)), Some(&Data::String("工单号".into())));
    assert_eq!(range.get_value((3 + 4999, 0)), Some(&Data::String("20261201-4999".into())));
    assert_eq!(range.get_value((3 + 4999, 1)), Some(&Data::Float(499.9)));
    assert_eq!(range.rows().count(), 3 + 5000);
}

#[test]
fn a_chart_is_well_formed_svg_with_a_link_and_a_title_per_bar() {
    let mut s = weekly();
    s.rows[0][0] = Cell::text("<script>alert(1)</script>");
    for kind in [ChartKind::Column, ChartKind::Bar, ChartKind::Line, ChartKind::Pie] {
        let chart = Chart { title: "派工 & 超时".into(), kind, categories: 0, series: vec![1, 3] };
        let out = svg_linked(&s, &chart, |row, series| Some(format!("/reports/drill?row={row}&series={series}")));
        let mut reader = quick_xml::Reader::from_str(&out);
        let (mut links, mut titles) = (0, 0);
        loop {
            match reader.read_event().unwrap_or_else(|e| panic!("{kind:?}: not well-formed XML: {e}\n{out}")) {
                quick_xml::events::Event::Eof => break,
                quick_xml::events::Event::Start(e) if e.name().into_inner() == "a" => links += 1,
                quick_xml::events::Event::Start(e) if e.name().into_inner() == "title" => titles += 1,
                _ => {}
            }
        }
        assert!(!out.contains("<script>"), "{kind:?}: a label is escaped");
        assert!(out.contains("row=1&amp;series=0"), "{kind:?}: links are escaped");
        // Rows with a positive value get a link (pie: only the first series, only slices > 0).
        let expected = if kind == ChartKind::Pie { 2 } else { 3 * 2 };
        assert_eq!(links, expected, "{kind:?}");
        assert!(titles > expected, "{kind:?}: the chart and each bar have a title");
    }
}
