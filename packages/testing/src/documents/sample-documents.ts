/**
 * The PDF and DOCX documents of the sample corpus, as content (so tests can compare extraction with what was
 * written) and as bytes. Real-looking procurement documents with line-wrapped paragraphs, so extraction has to
 * join lines and keep Vietnamese diacritics intact. Deterministic (fixed dates and metadata). Written to
 * data/sample by scripts/gen-documents.ts.
 */
import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun } from 'docx';
import { makeWrappedPdf, type PdfBlock } from './document-makers.ts';

const h = (text: string): PdfBlock => ({ kind: 'heading', text });
const p = (text: string): PdfBlock => ({ kind: 'paragraph', text });

export const QUYET_DINH: (PdfBlock | 'pageBreak')[] = [
  p('ỦY BAN NHÂN DÂN HUYỆN THANH HÀ – BAN QUẢN LÝ DỰ ÁN ĐẦU TƯ XÂY DỰNG'),
  p('Số: 125/QĐ-BQLDA. Thanh Hà, ngày 14 tháng 3 năm 2025'),
  h('QUYẾT ĐỊNH'),
  h('Về việc phê duyệt kết quả lựa chọn nhà thầu gói thầu số 05'),
  p('GIÁM ĐỐC BAN QUẢN LÝ DỰ ÁN ĐẦU TƯ XÂY DỰNG HUYỆN THANH HÀ'),
  p('Căn cứ Luật Đấu thầu số 22/2023/QH15 ngày 23 tháng 6 năm 2023;'),
  p(
    'Căn cứ Nghị định số 24/2024/NĐ-CP ngày 27 tháng 02 năm 2024 của Chính phủ quy định chi tiết một số điều và biện pháp thi hành Luật Đấu thầu về lựa chọn nhà thầu;',
  ),
  p(
    'Căn cứ Quyết định số 1870/QĐ-UBND ngày 05 tháng 9 năm 2024 của Ủy ban nhân dân huyện Thanh Hà về việc phê duyệt kế hoạch lựa chọn nhà thầu dự án Trường tiểu học xã Thanh Xuân;',
  ),
  p(
    'Căn cứ Báo cáo đánh giá hồ sơ dự thầu ngày 28 tháng 02 năm 2025 của Tổ chuyên gia và Báo cáo thẩm định kết quả lựa chọn nhà thầu số 18/BC-TĐ ngày 10 tháng 3 năm 2025 của Tổ thẩm định;',
  ),
  p('Xét đề nghị của Tổ chuyên gia tại Tờ trình số 09/TTr-TCG ngày 11 tháng 3 năm 2025.'),
  h('QUYẾT ĐỊNH:'),
  p(
    'Điều 1. Phê duyệt kết quả lựa chọn nhà thầu gói thầu số 05: Thi công xây dựng công trình Trường tiểu học xã Thanh Xuân, với các nội dung sau đây.',
  ),
  p(
    '1. Tên nhà thầu trúng thầu: Công ty Cổ phần Xây dựng và Thương mại Hồng Phát, địa chỉ số 45 đường Nguyễn Trãi, thị trấn Thanh Hà, tỉnh Hải Dương, mã số doanh nghiệp 0801234567.',
  ),
  p(
    '2. Giá trúng thầu: 12.450.000.000 đồng (bằng chữ: mười hai tỷ, bốn trăm năm mươi triệu đồng chẵn), đã bao gồm thuế giá trị gia tăng, chi phí dự phòng và toàn bộ chi phí để thực hiện gói thầu theo yêu cầu của hồ sơ mời thầu.',
  ),
  p('3. Loại hợp đồng: hợp đồng theo đơn giá cố định.'),
  p('4. Thời gian thực hiện hợp đồng: 270 ngày kể từ ngày hợp đồng có hiệu lực.'),
  p('5. Hình thức lựa chọn nhà thầu: đấu thầu rộng rãi trong nước, qua mạng; phương thức một giai đoạn một túi hồ sơ.'),
  p(
    'Điều 2. Danh sách nhà thầu không được lựa chọn và lý do không được lựa chọn được nêu chi tiết tại Phụ lục kèm theo Quyết định này.',
  ),
  p(
    'Điều 3. Giao Phòng Kế hoạch – Kỹ thuật đăng tải kết quả lựa chọn nhà thầu trên Hệ thống mạng đấu thầu quốc gia trong thời hạn 05 ngày làm việc kể từ ngày ký quyết định này; gửi thông báo kết quả lựa chọn nhà thầu đến tất cả các nhà thầu tham dự thầu; mời nhà thầu trúng thầu đến hoàn thiện và ký kết hợp đồng.',
  ),
  p(
    'Trước khi ký hợp đồng, nhà thầu trúng thầu phải nộp bảo đảm thực hiện hợp đồng với giá trị bằng 5% giá hợp đồng, có hiệu lực đến khi công trình được nghiệm thu, bàn giao và nhà thầu chuyển sang nghĩa vụ bảo hành.',
  ),
  p(
    'Điều 4. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng, Trưởng phòng Kế hoạch – Kỹ thuật, Trưởng phòng Tài chính – Kế toán, Tổ chuyên gia và nhà thầu có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này.',
  ),
  p('Nơi nhận: như Điều 4; Ủy ban nhân dân huyện (để báo cáo); Kho bạc Nhà nước huyện; lưu văn thư.'),
  p('GIÁM ĐỐC (đã ký) Nguyễn Văn Thành'),
  'pageBreak',
  h('PHỤ LỤC'),
  h('Danh sách nhà thầu không được lựa chọn và tóm tắt quá trình đánh giá'),
  p(
    'Hồ sơ mời thầu được phát hành trên Hệ thống mạng đấu thầu quốc gia từ ngày 06 tháng 01 năm 2025. Thời điểm đóng thầu là 09 giờ 00 ngày 27 tháng 01 năm 2025; có bốn nhà thầu nộp hồ sơ dự thầu qua mạng. Biên bản mở thầu được đăng tải ngay sau thời điểm mở thầu.',
  ),
  p(
    '1. Liên danh Công ty TNHH Xây dựng Minh Khang và Công ty Cổ phần Đầu tư Phú Điền: hồ sơ dự thầu không đáp ứng yêu cầu về năng lực và kinh nghiệm, cụ thể là không có hợp đồng tương tự với giá trị từ 8.700.000.000 đồng trở lên đã hoàn thành trong vòng 05 năm gần đây.',
  ),
  p(
    '2. Công ty TNHH Một thành viên Xây lắp Đông Á: bảo đảm dự thầu có thời gian hiệu lực 90 ngày, ngắn hơn thời gian 120 ngày mà hồ sơ mời thầu yêu cầu; hồ sơ dự thầu bị loại ở bước đánh giá tính hợp lệ và không được xem xét tiếp.',
  ),
  p(
    '3. Công ty Cổ phần Kiến trúc Việt Trường: hồ sơ dự thầu đáp ứng yêu cầu về kỹ thuật; giá dự thầu sau sửa lỗi và hiệu chỉnh sai lệch là 13.180.000.000 đồng, cao hơn giá của nhà thầu trúng thầu nên được xếp hạng thứ hai.',
  ),
  p(
    'Tổ chuyên gia đánh giá về kỹ thuật theo phương pháp đạt, không đạt. Nhà thầu trúng thầu đáp ứng toàn bộ các tiêu chuẩn về biện pháp thi công, tiến độ, bảo đảm chất lượng, an toàn lao động, phòng cháy chữa cháy và bảo vệ môi trường; có đủ nhân sự chủ chốt và thiết bị thi công chủ yếu theo yêu cầu.',
  ),
  p(
    'Giá gói thầu được duyệt là 12.980.000.000 đồng. Giá trúng thầu thấp hơn giá gói thầu 530.000.000 đồng, tương ứng tỷ lệ tiết kiệm khoảng 4,08%. Không có kiến nghị nào của nhà thầu về quá trình lựa chọn nhà thầu tính đến ngày trình phê duyệt.',
  ),
  p(
    'Trường hợp nhà thầu trúng thầu không tiến hành hoàn thiện hợp đồng hoặc từ chối ký hợp đồng mà không có lý do chính đáng, bảo đảm dự thầu của nhà thầu không được hoàn trả và chủ đầu tư mời nhà thầu xếp hạng thứ hai vào hoàn thiện hợp đồng theo quy định của pháp luật về đấu thầu.',
  ),
  'pageBreak',
  h('Nội dung hoàn thiện hợp đồng'),
  p(
    'Việc hoàn thiện hợp đồng bao gồm rà soát khối lượng mời thầu, các nội dung không phù hợp giữa hồ sơ mời thầu và hồ sơ dự thầu, nhân sự chủ chốt, tiến độ thực hiện và các điều kiện cụ thể của hợp đồng. Không được thay đổi giá trúng thầu khi hoàn thiện hợp đồng, trừ trường hợp điều chỉnh khối lượng theo quy định.',
  ),
  p(
    'Tạm ứng hợp đồng không vượt quá 30% giá hợp đồng và chỉ được thực hiện sau khi nhà thầu nộp bảo lãnh tiền tạm ứng có giá trị tương đương. Thanh toán được thực hiện theo khối lượng hoàn thành được nghiệm thu từng giai đoạn, giữ lại 5% giá trị mỗi lần thanh toán cho đến khi quyết toán.',
  ),
  p(
    'Thời gian bảo hành công trình là 12 tháng kể từ ngày ký biên bản nghiệm thu hoàn thành đưa công trình vào sử dụng. Nhà thầu phải nộp bảo lãnh bảo hành bằng 3% giá hợp đồng trước khi được hoàn trả bảo đảm thực hiện hợp đồng.',
  ),
];

export const BID_EVALUATION_REPORT: (PdfBlock | 'pageBreak')[] = [
  h('Bid Evaluation Report'),
  h('Package 03: Supply and installation of medical equipment'),
  p(
    'This report summarises the evaluation of bids received for package 03 of the provincial hospital modernisation project. The procurement followed open international competitive bidding with a single-stage, two-envelope procedure, and bids were submitted electronically through the national e-procurement system.',
  ),
  p(
    'Five bidders submitted technical and financial proposals before the deadline. The technical envelopes were opened in public immediately after the submission deadline, and the minutes of bid opening were published on the same day. The financial envelopes of responsive bidders remained sealed until the technical evaluation had been approved.',
  ),
  h('Preliminary examination'),
  p(
    'The evaluation committee verified the eligibility of every bidder, the completeness of each proposal, the validity period of the bid security and the authenticity of the manufacturer authorisations. One bidder was disqualified because its bid security was issued by an institution that was not licensed to provide guarantees, and another because the validity period of its proposal was shorter than the one hundred and twenty days required.',
  ),
  h('Technical evaluation'),
  p(
    'Technical proposals were scored against the published criteria: compliance of the specifications, delivery schedule, installation methodology, training of hospital personnel, availability of spare parts and the after-sales maintenance arrangements. Three bidders reached the minimum technical score of seventy points and were found substantially responsive.',
  ),
  p(
    'The committee sought clarification from two bidders regarding the calibration certificates of the ultrasound scanners. Clarifications did not change the substance of the proposals or the offered prices, in accordance with the procurement regulations governing the clarification of bids.',
  ),
  h('Financial evaluation and recommendation'),
  p(
    'After correction of arithmetic errors and adjustment of deviations, the lowest evaluated bid was submitted by Meditech Solutions Joint Stock Company at a price of 38,600,000,000 dong including value added tax. The committee recommends awarding the contract to this bidder, subject to the submission of a performance security equal to five percent of the contract price before signature.',
  ),
];

interface DocxSection {
  heading: string;
  paragraphs: string[];
  /** Rows of cells; the first row is the header. */
  table?: string[][];
}

const cell = (text: string, bold: boolean) =>
  new TableCell({ children: [new Paragraph({ children: [new TextRun({ text, bold })] })] });

function makeDocx(title: string, sections: DocxSection[]): Promise<Buffer> {
  const children: (Paragraph | Table)[] = [new Paragraph({ text: title, heading: HeadingLevel.TITLE })];
  for (const s of sections) {
    children.push(new Paragraph({ text: s.heading, heading: HeadingLevel.HEADING_1 }));
    for (const para of s.paragraphs) {
      children.push(new Paragraph({ children: [new TextRun(para)], alignment: AlignmentType.JUSTIFIED }));
    }
    if (s.table) {
      const rows = s.table.map((r, i) => new TableRow({ children: r.map((c) => cell(c, i === 0)) }));
      children.push(new Table({ rows }));
    }
  }
  return Packer.toBuffer(new Document({ title, creator: 'rag-queue', sections: [{ children }] }));
}

export const HSMT_TITLE = 'Hồ sơ mời thầu gói thầu số 05';
export const HSMT_SECTIONS: DocxSection[] = [
  {
    heading: 'Chương III. Tiêu chuẩn đánh giá hồ sơ dự thầu',
    paragraphs: [
      'Chương này quy định tiêu chuẩn đánh giá hồ sơ dự thầu gói thầu số 05: Thi công xây dựng công trình Trường tiểu học xã Thanh Xuân. Hồ sơ dự thầu được đánh giá theo trình tự: đánh giá tính hợp lệ, đánh giá năng lực và kinh nghiệm, đánh giá về kỹ thuật, sau đó đánh giá về giá.',
    ],
  },
  {
    heading: 'Mục 1. Đánh giá tính hợp lệ của hồ sơ dự thầu',
    paragraphs: [
      'Hồ sơ dự thầu được đánh giá là hợp lệ khi có bảo đảm dự thầu với giá trị 150.000.000 đồng và thời gian có hiệu lực không ngắn hơn 120 ngày kể từ ngày có thời điểm đóng thầu; có đơn dự thầu được ký bởi người đại diện hợp pháp của nhà thầu; hiệu lực của hồ sơ dự thầu đáp ứng yêu cầu; nhà thầu không đang trong thời gian bị cấm tham dự thầu.',
      'Nhà thầu liên danh phải có thỏa thuận liên danh, trong đó phân định rõ trách nhiệm, khối lượng công việc và giá trị tương ứng mà từng thành viên sẽ thực hiện.',
    ],
  },
  {
    heading: 'Mục 2. Tiêu chuẩn đánh giá về năng lực và kinh nghiệm',
    paragraphs: [
      'Nhà thầu phải đã hoàn thành ít nhất 01 hợp đồng tương tự với tư cách là nhà thầu chính hoặc thành viên liên danh trong vòng 05 năm trở lại đây, có giá trị tối thiểu 8.700.000.000 đồng. Doanh thu bình quân hằng năm từ hoạt động xây dựng tối thiểu 18.000.000.000 đồng trong 03 năm gần nhất.',
      'Nhà thầu phải chứng minh có khả năng tiếp cận nguồn vốn để thực hiện gói thầu với giá trị tối thiểu 2.500.000.000 đồng, thông qua cam kết tín dụng của tổ chức tín dụng hoạt động hợp pháp tại Việt Nam.',
    ],
  },
  {
    heading: 'Mục 3. Tiêu chuẩn đánh giá về kỹ thuật',
    paragraphs: [
      'Sử dụng phương pháp đánh giá đạt, không đạt. Hồ sơ dự thầu được đánh giá là đạt về kỹ thuật khi tất cả các tiêu chí tổng quát đều được đánh giá là đạt: giải pháp và biện pháp thi công; tiến độ thi công; biện pháp bảo đảm chất lượng; an toàn lao động, phòng cháy chữa cháy và vệ sinh môi trường; bảo hành công trình.',
    ],
  },
  {
    heading: 'Mục 4. Bảng tóm tắt yêu cầu về năng lực',
    paragraphs: ['Bảng dưới đây tóm tắt các yêu cầu chính; nội dung chi tiết theo các Mục 1 đến Mục 3.'],
    table: [
      ['Tiêu chí', 'Yêu cầu'],
      ['Hợp đồng tương tự', '01 hợp đồng, giá trị từ 8.700.000.000 đồng'],
      ['Doanh thu bình quân', 'Từ 18.000.000.000 đồng mỗi năm'],
      ['Bảo đảm dự thầu', '150.000.000 đồng, hiệu lực 120 ngày'],
    ],
  },
];

/** Relative path under data/sample -> bytes. */
export async function buildSampleDocuments(): Promise<[string, Uint8Array][]> {
  return [
    [
      'vi/quyet-dinh-phe-duyet-ket-qua-lua-chon-nha-thau.pdf',
      await makeWrappedPdf({
        title: 'Quyết định phê duyệt kết quả lựa chọn nhà thầu gói thầu số 05',
        author: 'Ban Quản lý dự án đầu tư xây dựng huyện Thanh Hà',
        blocks: QUYET_DINH,
        fontSize: 12,
      }),
    ],
    [
      'en/bid-evaluation-report.pdf',
      await makeWrappedPdf({
        title: 'Bid Evaluation Report: Package 03',
        author: 'Provincial Hospital Project Management Unit',
        blocks: BID_EVALUATION_REPORT,
        hyphenate: true,
        fontSize: 12,
      }),
    ],
    [
      'vi/ho-so-moi-thau-chuong-iii-tieu-chuan-danh-gia.docx',
      new Uint8Array(await makeDocx(HSMT_TITLE, HSMT_SECTIONS)),
    ],
  ];
}
