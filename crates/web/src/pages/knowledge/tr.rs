//! The knowledge pages' strings, zh-CN and English side by side (one macro, so a key
//! cannot exist in only one language). Kept apart from `i18n.rs` because only these
//! pages use them.

macro_rules! kb_strings {
    ($($key:ident: $zh:expr, $en:expr;)*) => {
        pub struct KbTr { $(pub $key: &'static str,)* }
        pub const ZH: KbTr = KbTr { $($key: $zh,)* };
        pub const EN: KbTr = KbTr { $($key: $en,)* };
    };
}

kb_strings! {
    nav: "知识库", "Knowledge base";
    thresholds: "机器人阈值", "Bot thresholds";
    title: "知识库", "Knowledge base";
    hint: "分类最多三级；每条知识有一个标准问题、若干相似问法和答案（可按渠道设置不同答案）。", "Categories nest up to three levels; each item has a standard question, similar phrasings and an answer (with per-channel variants).";
    categories: "分类", "Categories";
    all_categories: "全部分类", "All categories";
    no_categories: "还没有分类。", "No categories yet.";
    new_category: "新建分类", "New category";
    parent: "上级分类", "Parent category";
    top_level: "（顶级）", "(top level)";
    rename: "重命名", "Rename";
    items: "知识条目", "Items";
    no_items: "没有符合条件的知识。", "No items match.";
    search: "搜索问题或相似问法", "Search questions and phrasings";
    new_item: "新建知识", "New item";
    question: "标准问题", "Standard question";
    similar: "相似问法", "Similar phrasings";
    similar_count: "相似问法数", "Phrasings";
    add_similar: "添加相似问法", "Add a phrasing";
    remove: "移除", "Remove";
    category: "分类", "Category";
    answer: "答案", "Answer";
    answer_text: "答案文本", "Answer text";
    card: "图文卡片", "Card (图文)";
    card_title: "标题", "Title";
    card_description: "描述", "Description";
    card_image: "图片 URL", "Image URL";
    card_url: "链接 URL", "Link URL";
    buttons: "按钮（每行一个：文字 或 文字 | 发送值）", "Buttons (one per line: label, or label | value)";
    links: "链接（每行一个：标题 | URL 或 URL）", "Links (one per line: title | URL, or URL)";
    images: "图片（每行一个 URL）", "Images (one URL per line)";
    variants: "渠道答案", "Channel variants";
    variants_hint: "某个渠道（按渠道或渠道类型）显示的答案与默认答案不同时使用；没有对应变体时使用默认答案。", "Use when a channel (by channel or channel kind) should show a different answer; channels without a variant get the default.";
    add_variant: "添加渠道答案", "Add a channel variant";
    variant_channel: "渠道", "Channel";
    kind_prefix: "渠道类型", "Channel kind";
    valid_from: "生效时间（UTC）", "Valid from (UTC)";
    valid_to: "失效时间（UTC）", "Valid to (UTC)";
    enabled: "启用", "Enabled";
    disabled: "已停用", "Disabled";
    status: "状态", "Status";
    updated: "更新时间", "Updated";
    edit_item: "编辑知识", "Edit item";
    back: "返回知识库", "Back to the knowledge base";
    synonyms: "同义词库", "Synonyms";
    synonyms_hint: "同一组里的词在匹配时视为相同（例如 退款、退钱、refund）。用逗号或换行分隔。", "Terms in one group count as the same when matching (e.g. 退款, 退钱, refund). Separate them with commas or new lines.";
    no_synonyms: "还没有同义词组。", "No synonym groups yet.";
    terms: "词语", "Terms";
    new_synonyms: "新建同义词组", "New synonym group";
    transfer: "导入 / 导出", "Import / export";
    import: "导入", "Import";
    import_hint: "支持 CSV（UTF-8、带 BOM 的 UTF-8 或 GBK）、XLSX 和 JSONL。列：id, category（a/b/c）, question, similar（每行一个或用 | 分隔）, answer, enabled, valid_from, valid_to。", "CSV (UTF-8, UTF-8 with BOM, or GBK), XLSX and JSONL. Columns: id, category (a/b/c), question, similar (one per line or |-separated), answer, enabled, valid_from, valid_to.";
    file: "文件", "File";
    format: "格式", "Format";
    encoding: "编码", "Encoding";
    encoding_auto: "自动识别", "Detect";
    start_import: "开始导入", "Start import";
    export: "导出", "Export";
    running: "导入中", "Importing";
    done: "已完成", "Done";
    failed: "失败", "Failed";
    rows_read: "已处理", "Processed";
    created: "已创建", "Created";
    errors: "错误行", "Rows with errors";
    report: "下载错误报告（CSV）", "Download the error report (CSV)";
    recent_imports: "最近的导入", "Recent imports";
    no_imports: "还没有导入记录。", "No imports yet.";
    no_file: "请选择一个文件。", "Choose a file.";
    page_of: "页", "page";
    prev: "上一页", "Previous";
    next: "下一页", "Next";
}
