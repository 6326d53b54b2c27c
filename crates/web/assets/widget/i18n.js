  var DICT = {
    'zh-CN': {
      title: '在线客服', online: '在线', offline: '离线 · 可留言', connecting: '正在连接…',
      reconnecting: '连接已断开，正在重新连接…', open: '打开在线客服', close: '最小化', end: '结束对话',
      endConfirm: '确认结束？', placeholder: '输入消息…', send: '发送', attach: '发送图片或文件',
      emoji: '表情', typing: '客服正在输入…', you: '我', agent: '客服', bot: '智能助手',
      queue: '您前面还有 {n} 位 · 预计等待 {m} 分钟', queueNoEta: '您前面还有 {n} 位',
      queueNext: '马上为您接通，您是下一位', queueNextEta: '您是下一位 · 预计等待 {m} 分钟',
      pending: '发送中', sent: '已送达', read: '已读', failed: '发送失败',
      ev_queued: '正在为您转接人工客服，请稍候', ev_assigned: '客服 {x} 为您服务', ev_assigned0: '客服已接入',
      ev_transferred: '对话已转接给 {x}', ev_transferred0: '对话已转接，请稍候', ev_closed: '对话已结束',
      ev_completed: '对话已完成，感谢您的咨询', ev_rated: '感谢您的评价', ev_rating_invited: '客服邀请您对本次服务进行评价',
      prechat: '开始咨询前，请留下您的信息', start: '开始咨询', required: '请填写：{x}',
      leave_nobody_online: '当前没有客服在线，请留言，我们会尽快联系您',
      leave_outside_hours: '现在是非工作时间，请留言，我们会尽快联系您',
      name: '姓名', phone: '电话', email: '邮箱', text: '留言内容', submit: '提交', cancel: '取消',
      leaveNeed: '请填写留言内容，并留下电话或邮箱', leaveThanks: '留言已提交，我们会尽快联系您',
      rate: '请为本次服务评价', comment: '其他意见（选填）', rateNeed: '请选择星级', rateThanks: '感谢您的评价！',
      star: '{n} 星', uploading: '正在上传 {x}…', tooBig: '文件不能超过 10 MB', tooLong: '消息不能超过 5000 字',
      noConn: '尚未连接，请稍候再试', uploadFail: '上传失败', unsupported: '[暂不支持的消息类型]', view: '查看详情',
      e_message_too_long: '消息太长了', e_identity_invalid: '身份校验失败，无法连接客服',
      e_channel_not_found: '客服渠道不存在', e_invalid_frame: '消息格式错误'
    },
    en: {
      title: 'Chat with us', online: 'Online', offline: 'Offline · leave a message', connecting: 'Connecting…',
      reconnecting: 'Connection lost, reconnecting…', open: 'Open chat', close: 'Minimize', end: 'End chat',
      endConfirm: 'End now?', placeholder: 'Type a message…', send: 'Send', attach: 'Send an image or file',
      emoji: 'Emoji', typing: 'The agent is typing…', you: 'You', agent: 'Agent', bot: 'Assistant',
      queue: '{n} ahead of you · about {m} min', queueNoEta: '{n} ahead of you',
      queueNext: 'You are next in line', queueNextEta: 'You are next · about {m} min',
      pending: 'Sending', sent: 'Delivered', read: 'Read', failed: 'Not sent',
      ev_queued: 'Connecting you to an agent, please wait', ev_assigned: '{x} is now serving you',
      ev_assigned0: 'An agent has joined', ev_transferred: 'You have been transferred to {x}',
      ev_transferred0: 'Transferring you, please wait', ev_closed: 'The conversation has ended',
      ev_completed: 'The conversation is complete. Thank you!', ev_rated: 'Thank you for your feedback',
      ev_rating_invited: 'Please rate this conversation',
      prechat: 'Before we start, please tell us about you', start: 'Start chat', required: 'Please fill in: {x}',
      leave_nobody_online: 'No agent is online right now. Leave a message and we will get back to you.',
      leave_outside_hours: 'We are outside business hours. Leave a message and we will get back to you.',
      name: 'Name', phone: 'Phone', email: 'Email', text: 'Message', submit: 'Submit', cancel: 'Cancel',
      leaveNeed: 'Please write a message and leave a phone number or email', leaveThanks: 'Thank you, we will get back to you soon',
      rate: 'How did we do?', comment: 'Anything else? (optional)', rateNeed: 'Please choose a star rating',
      rateThanks: 'Thank you for your feedback!', star: '{n} stars', uploading: 'Uploading {x}…',
      tooBig: 'Files must be 10 MB or smaller', tooLong: 'Messages are limited to 5,000 characters',
      noConn: 'Not connected yet, please try again in a moment', uploadFail: 'Upload failed',
      unsupported: '[Unsupported message]', view: 'Open',
      e_message_too_long: 'The message is too long', e_identity_invalid: 'Identity check failed, cannot connect',
      e_channel_not_found: 'This chat channel does not exist', e_invalid_frame: 'Invalid message'
    }
  };
  // Rating tags: the value sent is the canonical (Chinese) tag, the label is localized.
  var TAGS = {
    good: [['回复及时', 'Quick replies'], ['态度好', 'Friendly'], ['问题已解决', 'Problem solved'], ['专业', 'Knowledgeable']],
    bad: [['回复慢', 'Slow replies'], ['没解决问题', 'Problem not solved'], ['态度差', 'Unfriendly'], ['答非所问', 'Off-topic answers']]
  };

  function translator(lang) {
    var d = DICT[lang] || DICT.en;
    return function (k, vars) {
      var s = d[k] != null ? d[k] : (DICT.en[k] != null ? DICT.en[k] : k);
      if (vars) s = s.replace(/\{(\w+)\}/g, function (_, v) { return vars[v] != null ? vars[v] : ''; });
      return s;
    };
  }

  /** The text of a system event body ({event: queued|assigned|transferred|closed|completed|rated}). */
  function systemText(body, senderName, T) {
    body = body || {};
    var e = body.event, x;
    if (e === 'assigned') {
      x = body.agent_name || (body.agent && body.agent.name) || senderName;
      return x ? T('ev_assigned', { x: x }) : T('ev_assigned0');
    }
    if (e === 'transferred') {
      x = body.to_agent_name || body.to_group_name || body.agent_name || (body.agent && body.agent.name);
      return x ? T('ev_transferred', { x: x }) : T('ev_transferred0');
    }
    if (e === 'queued' || e === 'closed' || e === 'completed' || e === 'rated' || e === 'rating_invited') return T('ev_' + e);
    return body.text || e || '';
  }

  function charCount(s) { return Array.from(String(s)).length; }

