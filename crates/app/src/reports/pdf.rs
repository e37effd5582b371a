//! The service report as a PDF (issue 14): A4, in Chinese, with the font that ships with
//! the product (`fonts/NotoSansSC-Subset.otf`: Noto Sans SC cut to the CJK basic block, Extension A,
//! GBK, ASCII and punctuation; krilla embeds only the glyphs a document uses). Nothing is downloaded at
//! run time.
//!
//! [`render`] takes a [`ReportDocument`] whose words are already written (`super` fills it
//! from the ticket), lays it out top to bottom on as many pages as it needs, and answers
//! the PDF's bytes. Photos are a seam: [`Photo`] holds an image's bytes (PNG or JPEG) and
//! its caption, and [`render`] places each one it is given; the report's chosen attachment
//! ids are turned into bytes once attachments exist.

use std::sync::LazyLock;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

/// The shipped font (SIL Open Font License 1.1, `fonts/OFL.txt`).
static FONT_DATA: &[u8] = include_bytes!("../../fonts/NotoSansSC-Subset.otf");

static FONT: LazyLock<Option<Font>> = LazyLock::new(|| Font::new(FONT_DATA.into(), 0));

/// Advance widths for line breaking, read from the same font.
static METRICS: LazyLock<Option<ttf_parser::Face<'static>>> =
    LazyLock::new(|| ttf_parser::Face::parse(FONT_DATA, 0).ok());

const A4_W: f32 = 595.28;
const A4_H: f32 = 841.89;
const MARGIN: f32 = 48.0;
const BODY: f32 = 10.0;
const LABEL_W: f32 = 86.0;
const LINE: f32 = 1.45;

/// A photo to place: its bytes (PNG or JPEG) and a caption.
#[derive(Debug, Clone)]
pub struct Photo {
    pub caption: String,
    pub image: Vec<u8>,
}

/// One part used: number, name, quantity with unit, new serial, serial taken out.
#[derive(Debug, Clone, Default)]
pub struct PartRow {
    pub number: String,
    pub name: String,
    pub quantity: String,
    pub serial: String,
    pub returned_serial: String,
}

/// The signature block at the end.
#[derive(Debug, Clone)]
pub enum SignatureBlock {
    /// Not signed yet (a preview): an empty box.
    Awaiting,
    Signed {
        signer: String,
        relationship: String,
        at: String,
        channel: String,
        image: Vec<u8>,
    },
    Refused {
        signer: String,
        at: String,
        reason: String,
    },
}

/// Everything the PDF says, in the words it prints.
#[derive(Debug, Clone)]
pub struct ReportDocument {
    pub ticket_number: String,
    pub version: i32,
    pub generated_at: String,
    /// Label and value rows (customer, device, problem, times, engineer, solution …).
    pub fields: Vec<(String, String)>,
    /// The handling process: time and text of each customer-visible work-log entry.
    pub process: Vec<(String, String)>,
    pub parts: Vec<PartRow>,
    /// Fee lines (description, amount) and the closing lines (total, paid).
    pub fees: Vec<(String, String)>,
    pub photos: Vec<Photo>,
    pub signature: SignatureBlock,
}

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The signature image is not a PNG krilla can read.
    #[error("the signature image cannot be read: {0}")]
    Signature(String),
    #[error("the report font cannot be read")]
    Font,
    #[error("writing the PDF: {0}")]
    Write(String),
}

enum Op {
    Text { x: f32, y: f32, size: f32, text: String, grey: bool },
    Rule { x1: f32, y1: f32, x2: f32, y2: f32 },
    Image { x: f32, y: f32, w: f32, h: f32, image: Image },
}

/// The pages being laid out, top to bottom.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

fn advance(c: char, size: f32) -> f32 {
    let Some(face) = METRICS.as_ref() else { return size };
    let upem = f32::from(face.units_per_em());
    face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)).map_or(size, |a| f32::from(a) * size / upem)
}

fn width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| advance(c, size)).sum()
}

/// Breaks `text` into lines no wider than `max` (at line breaks, and between characters:
/// Chinese text has no spaces to break at).
fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        let mut w = 0.0;
        for c in para.chars() {
            let c = if c == '\t' { ' ' } else { c };
            let a = advance(c, size);
            if w + a > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                w = 0.0;
            }
            line.push(c);
            w += a;
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

impl Layout {
    fn new() -> Layout {
        Layout { pages: vec![Vec::new()], y: MARGIN }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page")
    }

    /// Makes room for `h` points, starting a new page when this one is full.
    fn room(&mut self, h: f32) {
        if self.y + h > A4_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn text(&mut self, x: f32, size: f32, text: &str, grey: bool) {
        let y = self.y + size;
        self.ops().push(Op::Text { x, y, size, text: text.to_owned(), grey });
    }

    fn rule(&mut self) {
        let y = self.y;
        self.ops().push(Op::Rule { x1: MARGIN, y1: y, x2: A4_W - MARGIN, y2: y });
    }

    fn heading(&mut self, text: &str) {
        self.room(BODY * 4.0);
        self.y += BODY * 0.8;
        self.text(MARGIN, BODY * 1.2, text, false);
        self.y += BODY * 1.2 * LINE;
        self.rule();
        self.y += BODY * 0.5;
    }

    /// A label in the left column and its value wrapped in the right one.
    fn field(&mut self, label: &str, value: &str) {
        let lines = wrap(if value.is_empty() { "—" } else { value }, BODY, A4_W - 2.0 * MARGIN - LABEL_W);
        for (i, line) in lines.iter().enumerate() {
            self.room(BODY * LINE);
            if i == 0 {
                self.text(MARGIN, BODY, label, true);
            }
            self.text(MARGIN + LABEL_W, BODY, line, false);
            self.y += BODY * LINE;
        }
    }

    /// A row of cells at the given column starts, each wrapped to its column.
    fn row(&mut self, cols: &[f32], cells: &[&str], grey: bool) {
        let right = A4_W - MARGIN;
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let end = cols.get(i + 1).copied().unwrap_or(right);
                wrap(c, BODY, end - cols[i] - 6.0)
            })
            .collect();
        let n = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        self.room(BODY * LINE * n as f32);
        for (i, lines) in wrapped.iter().enumerate() {
            for (k, line) in lines.iter().enumerate() {
                let y = self.y + BODY * LINE * k as f32 + BODY;
                self.ops().push(Op::Text { x: cols[i], y, size: BODY, text: line.clone(), grey });
            }
        }
        self.y += BODY * LINE * n as f32;
    }

    /// Places an image scaled to fit `max_w` × `max_h`, keeping its proportions.
    fn image(&mut self, image: Image, max_w: f32, max_h: f32) {
        let (pw, ph) = image.size();
        let (pw, ph) = (pw.max(1) as f32, ph.max(1) as f32);
        let scale = (max_w / pw).min(max_h / ph);
        let (w, h) = (pw * scale, ph * scale);
        self.room(h + BODY);
        let (x, y) = (MARGIN, self.y);
        self.ops().push(Op::Image { x, y, w, h, image });
        self.y += h + BODY * 0.5;
    }

    /// The seam for photos: places one image given as bytes (PNG or JPEG) with its caption;
    /// an image that cannot be read is named instead of placed.
    fn photo(&mut self, photo: &Photo) {
        let data: krilla::Data = photo.image.clone().into();
        let image = if photo.image.starts_with(b"\x89PNG") {
            Image::from_png(data, true)
        } else {
            Image::from_jpeg(data, true)
        };
        match image {
            Ok(image) => self.image(image, A4_W - 2.0 * MARGIN, 300.0),
            Err(_) => self.field("", "（图片无法读取）"),
        }
        self.field("", &photo.caption);
    }
}

/// The report as PDF bytes.
pub fn render(doc: &ReportDocument) -> Result<Vec<u8>, PdfError> {
    let font = FONT.clone().ok_or(PdfError::Font)?;
    // The signature is read first: an image krilla cannot read refuses the whole report.
    let signature = match &doc.signature {
        SignatureBlock::Signed { image, .. } => {
            Some(Image::from_png(image.clone().into(), true).map_err(PdfError::Signature)?)
        }
        _ => None,
    };
    let mut l = Layout::new();
    l.text(MARGIN, 20.0, "服务报告", false);
    let sub = format!("工单号 {}　第 {} 版", doc.ticket_number, doc.version);
    l.text(A4_W - MARGIN - width(&sub, BODY), BODY, &sub, true);
    l.y += 20.0 * LINE;
    l.rule();
    l.y += BODY * 0.5;
    for (label, value) in &doc.fields {
        l.field(label, value);
    }

    l.heading("处理过程");
    if doc.process.is_empty() {
        l.field("", "（无）");
    }
    for (at, text) in &doc.process {
        l.field(at, text);
    }

    l.heading("使用备件");
    let cols = [MARGIN, MARGIN + 70.0, MARGIN + 210.0, MARGIN + 270.0, MARGIN + 380.0];
    if doc.parts.is_empty() {
        l.field("", "（未使用备件）");
    } else {
        l.row(&cols, &["料号", "名称", "数量", "新件序列号", "旧件序列号"], true);
        for p in &doc.parts {
            l.row(&cols, &[&p.number, &p.name, &p.quantity, &p.serial, &p.returned_serial], false);
        }
    }

    l.heading("费用");
    if doc.fees.is_empty() {
        l.field("", "（无费用）");
    }
    for (what, amount) in &doc.fees {
        l.field(what, amount);
    }

    if !doc.photos.is_empty() {
        l.heading("现场照片");
        for p in &doc.photos {
            l.photo(p);
        }
    }

    l.heading("客户验收签字");
    match (&doc.signature, signature) {
        (SignatureBlock::Signed { signer, relationship, at, channel, .. }, Some(image)) => {
            l.image(image, 220.0, 90.0);
            l.field("签字人", signer);
            l.field("身份", relationship);
            l.field("签字时间", at);
            l.field("签字方式", channel);
        }
        (SignatureBlock::Refused { signer, at, reason }, _) => {
            l.field("客户拒签", reason);
            l.field("经办人", signer);
            l.field("时间", at);
        }
        _ => {
            l.field("", "待客户签字（预览）");
            l.room(90.0);
            let y = l.y + 80.0;
            l.ops().push(Op::Rule { x1: MARGIN + LABEL_W, y1: y, x2: MARGIN + LABEL_W + 220.0, y2: y });
            l.y += 90.0;
        }
    }
    l.y += BODY;
    l.room(BODY * 2.0);
    l.text(MARGIN, 8.0, &format!("生成时间 {}", doc.generated_at), true);

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("服务报告 {} 第{}版", doc.ticket_number, doc.version))
            .language("zh-CN".into())
            .creator("aftersales".into()),
    );
    let total = l.pages.len();
    for (n, ops) in l.pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(A4_W, A4_H).ok_or_else(|| PdfError::Write("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut s = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, size, text, grey } => {
                    let c = if grey { 90 } else { 0 };
                    s.set_fill(Some(Fill { paint: rgb::Color::new(c, c, c).into(), ..Fill::default() }));
                    s.draw_text(Point::from_xy(x, y), font.clone(), size, &text, false, TextDirection::Auto);
                }
                Op::Rule { x1, y1, x2, y2 } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(x1, y1);
                    pb.line_to(x2, y2);
                    if let Some(path) = pb.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(Stroke { width: 0.6, ..Stroke::default() }));
                        s.draw_path(&path);
                        s.set_stroke(None);
                    }
                }
                Op::Image { x, y, w, h, image } => {
                    if let Some(size) = Size::from_wh(w, h) {
                        s.push_transform(&Transform::from_translate(x, y));
                        s.draw_image(image, size);
                        s.pop();
                    }
                }
            }
        }
        let foot = format!("{} / {}", n + 1, total);
        s.set_fill(Some(Fill::default()));
        s.draw_text(
            Point::from_xy(A4_W - MARGIN - width(&foot, 8.0), A4_H - MARGIN / 2.0),
            font.clone(),
            8.0,
            &foot,
            false,
            TextDirection::Auto,
        );
        s.finish();
        page.finish();
    }
    document.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
}

/// A drawn signature as a canvas would send it (a transparent PNG with a black stroke):
/// for the benchmark and tests.
pub fn sample_signature() -> Vec<u8> {
    let (w, h) = (600u32, 200u32);
    let mut px = vec![0u8; (w * h * 4) as usize];
    for x in 40..560u32 {
        let t = (x as f32 - 40.0) / 520.0;
        let y = (100.0 + 60.0 * (t * 12.0).sin() * (1.0 - t)) as u32;
        for dy in 0..4 {
            let i = (((y + dy).min(h - 1) * w + x) * 4) as usize;
            px[i..i + 4].copy_from_slice(&[17, 17, 17, 255]);
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    if let Ok(mut writer) = enc.write_header() {
        let _ = writer.write_image_data(&px);
    }
    out
}

/// A report as long as a busy ticket's (a dozen work-log entries, five parts, a quote),
/// signed: what the benchmark renders.
pub fn sample() -> ReportDocument {
    let fields = [
        ("客户", "华南制造有限公司"),
        ("联系人", "李主任"),
        ("设备型号", "柯尼卡美能达 bizhub C300i"),
        ("设备序列号", "A7PU021004567"),
        ("故障现象", "复印时纸张在定影单元卡住，面板显示 J-1402，每天约 20 次，影响财务部全部打印业务。"),
        ("故障代码/分类", "J-1402（卡纸）"),
        ("到场时间", "2024-03-15 10:05"),
        ("离场时间", "2024-03-15 12:40"),
        ("服务工程师", "吴工"),
        ("解决方案", "更换定影组件及搓纸轮，清洁纸路，连续复印 200 张测试无卡纸。"),
    ];
    let process = (0..12)
        .map(|i| {
            (
                format!("2024-03-15 {:02}:{:02}", 9 + i / 4, (i % 4) * 15),
                format!("现场处理：第 {} 步，检查纸路与定影单元，记录温度与压力读数，结果正常。", i + 1),
            )
        })
        .collect();
    let parts = (0..5)
        .map(|i| PartRow {
            number: format!("FU-C30{i}"),
            name: "定影组件".into(),
            quantity: "1 个".into(),
            serial: format!("FU24A000187{i}"),
            returned_serial: format!("FU21C000774{i}"),
        })
        .collect();
    let fees = vec![
        ("保修".into(), "保外".into()),
        ("定影组件（A5C1R70200）×1".into(), "¥1280.00".into()),
        ("更换定影组件及调试 ×2".into(), "¥300.00".into()),
        ("报价第 1 版（已批准）".into(), "¥1785.40".into()),
    ];
    ReportDocument {
        ticket_number: "20240315-001".into(),
        version: 1,
        generated_at: "2024-03-15 12:45".into(),
        fields: fields.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect(),
        process,
        parts,
        fees,
        photos: Vec::new(),
        signature: SignatureBlock::Signed {
            signer: "李主任".into(),
            relationship: "设备负责人".into(),
            at: "2024-03-15 12:42".into(),
            channel: "现场签字".into(),
            image: sample_signature(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_wraps_within_the_column() {
        let lines = wrap("打印机卡纸，更换搓纸轮后测试正常。".repeat(5).as_str(), BODY, 200.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width(l, BODY) <= 200.0 + BODY));
    }

    #[test]
    fn the_font_prints_rare_characters_of_names() {
        let face = METRICS.as_ref().expect("the shipped font parses");
        // 堃 喆 昇 赟 (GBK), 䶮 (Extension A), full-width punctuation and the yuan sign.
        let missing: String =
            "王堃张喆李昇陈赟刘䶮，（）：￥".chars().filter(|&c| face.glyph_index(c).is_none()).collect();
        assert_eq!(missing, "", "characters the report would print as boxes");
    }

    #[test]
    fn the_sample_is_a_small_pdf_and_a_photo_can_be_placed() {
        let pdf = render(&sample()).expect("the sample renders");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() < 300 * 1024, "{} bytes", pdf.len());
        let mut doc = sample();
        doc.photos.push(Photo { caption: "更换前".into(), image: sample_signature() });
        assert!(render(&doc).expect("with a photo").len() > pdf.len());
    }
}
