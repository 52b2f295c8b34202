/**
 * Synthetic procurement-like corpus for benchmarks, deterministic from a seed:
 *   scripts/node scripts/gen-corpus.ts --out <dir> --docs <N> --paragraphs <P> [--seed S]
 * Writes N Markdown files (1000 per sub-folder), each a title and P paragraphs of 60-120 words. Like real documents,
 * each file has a topic (project names, places, goods: Vietnamese-like words drawn from thousands of syllables) and
 * each paragraph a sub-topic, mixed with common procurement vocabulary, numbers and dates: chunks of one document
 * are near each other, and a question about a topic has a well-defined nearest neighbourhood.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mulberry32 } from '@rag/testing';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    docs: { type: 'string', default: '1000' },
    paragraphs: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
  },
});
if (!values.out) {
  console.error('usage: gen-corpus --out <dir> --docs <N> --paragraphs <P> [--seed S]');
  process.exit(2);
}
const docs = Number(values.docs);
const paragraphs = Number(values.paragraphs);
if (!(docs > 0 && paragraphs > 0)) {
  console.error('--docs and --paragraphs must be positive numbers');
  process.exit(2);
}

const rand = mulberry32(Number(values.seed));
const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];

const phrases = (
  'nhà thầu|bên mời thầu|chủ đầu tư|gói thầu|giá gói thầu|hồ sơ mời thầu|hồ sơ dự thầu|hồ sơ yêu cầu|hồ sơ đề xuất|bảo đảm dự thầu|' +
  'bảo đảm thực hiện hợp đồng|bảo lãnh tiền tạm ứng|thư bảo lãnh|tổ chức tín dụng|đấu thầu rộng rãi|đấu thầu hạn chế|chỉ định thầu|' +
  'chào hàng cạnh tranh|mua sắm trực tiếp|tự thực hiện|đấu thầu qua mạng|Hệ thống mạng đấu thầu quốc gia|mở thầu|đóng thầu|' +
  'thời điểm đóng thầu|đánh giá hồ sơ dự thầu|tổ chuyên gia|tiêu chuẩn đánh giá|năng lực và kinh nghiệm|phương pháp giá thấp nhất|' +
  'phương pháp giá đánh giá|điểm kỹ thuật|xếp hạng nhà thầu|thương thảo hợp đồng|phê duyệt kết quả|kết quả lựa chọn nhà thầu|' +
  'kiến nghị|giải quyết kiến nghị|Hội đồng tư vấn|hành vi bị cấm|thông thầu|gian lận|xung đột lợi ích|tư cách hợp lệ|' +
  'ưu đãi|hàng hóa sản xuất trong nước|doanh nghiệp nhỏ|liên danh|thỏa thuận liên danh|nhà thầu phụ|hợp đồng trọn gói|' +
  'hợp đồng theo đơn giá cố định|hợp đồng theo đơn giá điều chỉnh|hợp đồng theo thời gian|điều chỉnh giá|tạm ứng hợp đồng|' +
  'thanh toán|nghiệm thu|bảo hành|chấm dứt hợp đồng|bồi thường thiệt hại|bất khả kháng|kế hoạch lựa chọn nhà thầu|dự toán|' +
  'nguồn vốn|ngân sách nhà nước|dự án đầu tư|đối tác công tư|nhà đầu tư|tổng mức đầu tư|xây lắp|hàng hóa|dịch vụ tư vấn|' +
  'dịch vụ phi tư vấn|thiết bị y tế|vật tư|công trình giao thông|trường học|bệnh viện|phần mềm|hạ tầng kỹ thuật|lưu trữ hồ sơ|' +
  'thời gian thực hiện hợp đồng|hiệu lực của hồ sơ dự thầu|làm rõ hồ sơ|sửa đổi hồ sơ mời thầu|biên bản mở thầu|' +
  'bid security|performance security|procuring entity|bid evaluation|contract award|e-procurement|joint venture|price adjustment'
).split('|');
const verbs =
  'phải|được|không được|có trách nhiệm|có quyền|cần|sẽ|đã|đề nghị|quy định|yêu cầu|xem xét|phê duyệt|đăng tải|nộp|hoàn trả|đánh giá|kiểm tra'.split(
    '|',
  );
const links = 'và|hoặc|theo|trong|của|cho|với|khi|trước|sau|tại|đối với|căn cứ|nhằm|để'.split('|');
const places =
  'Hà Nội|Thành phố Hồ Chí Minh|Đà Nẵng|Hải Phòng|Cần Thơ|Quảng Ninh|Nghệ An|Khánh Hòa|Lâm Đồng|Bình Dương'.split('|');

// Vietnamese-like syllables: initial consonant + (toned) vowel + final; ~8,000 distinct syllables.
const initials = [
  'b',
  'c',
  'ch',
  'd',
  'đ',
  'g',
  'gi',
  'h',
  'k',
  'kh',
  'l',
  'm',
  'n',
  'ng',
  'nh',
  'p',
  'ph',
  'qu',
  'r',
  's',
  't',
  'th',
  'tr',
  'v',
  'x',
  '',
];
const vowels = [
  'a',
  'á',
  'à',
  'ả',
  'ã',
  'ạ',
  'ắ',
  'ấ',
  'e',
  'é',
  'ê',
  'ế',
  'ề',
  'i',
  'í',
  'o',
  'ó',
  'ô',
  'ố',
  'ồ',
  'ơ',
  'ớ',
  'u',
  'ú',
  'ư',
  'ứ',
  'y',
];
const finals = ['', 'c', 'ch', 'm', 'n', 'ng', 'nh', 'p', 't', 'i', 'o', 'u'];
const syllable = () => pick(initials) + pick(vowels) + pick(finals);
const term = () => `${syllable()} ${syllable()}`;

let topic: string[] = [];
let subtopic: string[] = [];

function sentence(): string {
  const parts: string[] = [rand() < 0.5 ? pick(topic) : pick(phrases)];
  const n = 4 + Math.floor(rand() * 8);
  for (let i = 0; i < n; i++) {
    const r = rand();
    parts.push(
      i % 3 === 0
        ? pick(verbs)
        : i % 3 === 2
          ? pick(links)
          : r < 0.3
            ? pick(topic)
            : r < 0.55
              ? pick(subtopic)
              : pick(phrases),
    );
  }
  if (rand() < 0.35) parts.push(`${Math.floor(rand() * 90 + 1)}%`);
  if (rand() < 0.3)
    parts.push(`ngày ${1 + Math.floor(rand() * 28)}/${1 + Math.floor(rand() * 12)}/${2018 + Math.floor(rand() * 8)}`);
  if (rand() < 0.25) parts.push(`tại ${pick(places)}`);
  if (rand() < 0.2) parts.push(`${(rand() * 900 + 10).toFixed(0)} tỷ đồng`);
  const s = parts.join(' ');
  return `${s.charAt(0).toUpperCase() + s.slice(1)}.`;
}

function paragraph(): string {
  subtopic = Array.from({ length: 3 }, term);
  const target = 60 + Math.floor(rand() * 61);
  const out: string[] = [];
  let words = 0;
  while (words < target) {
    const s = sentence();
    out.push(s);
    words += s.split(' ').length;
  }
  return out.join(' ');
}

const t0 = performance.now();
let bytes = 0;
for (let d = 0; d < docs; d++) {
  const dir = path.join(values.out, `part-${String(Math.floor(d / 1000)).padStart(3, '0')}`);
  if (d % 1000 === 0) await fs.mkdir(dir, { recursive: true });
  topic = Array.from({ length: 5 }, term);
  const title = `Gói thầu ${d + 1}: ${pick(phrases)} ${topic[0]} tại ${pick(places)}`;
  const body = Array.from({ length: paragraphs }, paragraph).join('\n\n');
  const text = `# ${title}\n\n${body}\n`;
  bytes += Buffer.byteLength(text);
  await fs.writeFile(path.join(dir, `doc-${String(d + 1).padStart(6, '0')}.md`), text);
}
console.log(
  `gen-corpus: ${docs} files, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${values.out}`,
);
