// Every word the kiosk screen shows, one table per language. Both tables have the same keys (a unit
// test checks it, and that every code the hub or agent can refuse with has a message in each).
// Plain words for a resident at midnight or a courier in the rain: what happened, then what to do.
// {door} is the compartment number; {tracking} the tracking number; {seconds} a wait in seconds.

export const LANGUAGES = ['zh-CN', 'en'];

export const STRINGS = {
  'zh-CN': {
    'app.title': '政务服务 24小时自助信包箱',
    'lang.switch': 'English',
    'lang.switch.label': 'Switch to English',

    'start.heading': '请输入开箱码',
    'start.hint': '开箱码是短信里的 8 位数字',
    'start.scan': '或者把二维码放到下方扫码口',
    'start.open': '开门',
    'start.next': '下一步',
    'start.factor.heading': '请输入手机号后 6 位',
    'start.factor.hint': '接收开箱码的手机号码的后 6 位数字（快递员：派单里的 6 位密码）',
    'keypad.factor.label': '已输入的 6 位数字',
    'keypad.clear': '清空',
    'keypad.back': '删除',
    'keypad.back.label': '删除一位数字',
    'keypad.digits.label': '已输入的开箱码',

    'working.heading': '正在核对开箱码…',
    'working.body': '请稍等',
    'another.working': '正在为您找另一个空箱格…',

    'open.badge': '{door}号',
    'open.heading': '{door}号箱门已打开',
    'open.deposit': '请把材料放进去，然后关好箱门。',
    'open.collect': '请取出您的材料，然后关好箱门。',
    'open.courier_pickup': '请取出信封，然后关好箱门。',
    'open.courier_deliver': '请把信封放进去，然后关好箱门。',
    'open.note': '关门后，屏幕会自动进入下一步。',
    'open.visit.next': '下一个：{next}号箱门。',
    'open.visit.last': '这是最后一个箱门。',

    'done.heading': '谢谢！{door}号箱门已关好',
    'done.deposit': '您的材料已经交件。',
    'done.deposit.empty': '箱门已关好，但箱内没有检测到材料。如果材料不在箱内，请拨打 12345 政务服务热线。',
    'done.collect': '取件完成。请检查材料是否齐全。',
    'done.courier_pickup': '取件完成。',
    'done.courier_deliver': '投递完成。',
    'done.tracking.label': '您的件号',
    'done.tracking.note': '请拍照或记下件号，可在网上随时查看办理进度。',
    'done.finish': '完成',

    'action.retry': '重新输入',
    'action.home': '返回首页',
    'action.another': '换一个空箱格',

    'door.failed.title': '{door}号箱门没有打开',
    'door.failed.body': '您的开箱码已使用，此情况已报告给服务大厅。请拨打 12345 政务服务热线，工作人员会帮您处理。',
    'door.unconfirmed.title': '{door}号箱门打开了吗？',
    'door.unconfirmed.body': '柜子没能确认箱门是否打开。请看一下箱门，告诉我们。',
    'door.answered.not_opened.title': '谢谢，已记录{door}号箱门没有打开',
    'door.answered.not_opened.body':
      '您的开箱码仍然可以使用，请再输入一次。此情况已报告给服务大厅；如果还是打不开，请拨打 12345 政务服务热线。',
    'door.not_sent.title': '{door}号箱门没有打开',
    'door.not_sent.body': '柜子暂时无法控制箱门。您的开箱码没有被使用，请稍后再试一次。此情况已报告给服务大厅。',
    'action.opened': '打开了',
    'action.not_opened': '没有打开',
    'door.jammed.title': '{door}号箱门卡住了，没有打开',
    'door.jammed.offer': '您可以改用另一个空箱格存放材料。',
    'door.jammed.inside': '箱内的材料安全无损。此情况已报告给服务大厅，工作人员会来开门。请拨打 12345 政务服务热线商定取件时间。',

    'error.code_invalid.title': '开箱码不对',
    'error.code_invalid.body': '请核对短信里的 8 位开箱码和接收短信的手机号后 6 位，再输入一次。扫描二维码可以直接开门。',
    'error.code_expired.title': '开箱码已过期',
    'error.code_expired.body': '请在政务服务网或微信公众号重新获取开箱码，或拨打 12345 政务服务热线。',
    'error.code_used.title': '这个开箱码已经用过了',
    'error.code_used.body': '每个开箱码只能开一次门。如需再开，请重新获取开箱码，或拨打 12345 政务服务热线。',
    'error.keypad_slowed.title': '请稍候 {seconds} 秒再试',
    'error.keypad_slowed.body': '最近输错的开箱码较多，为了安全，键盘需要稍等片刻。扫描短信或小程序里的二维码可以立即开门。',
    'error.locked_out.title': '输错次数太多',
    'error.locked_out.body': '为了安全，这台信包箱暂停接受开箱码。请等几分钟后再试。',
    'error.bad_request.title': '没有读懂这个码',
    'error.bad_request.body': '请重新输入，或者再扫一次二维码。',
    'error.hub_unreachable.title': '暂时无法核对开箱码',
    'error.hub_unreachable.body': '信包箱暂时连不上服务中心。请过几分钟再试；如果一直不行，请拨打 12345 政务服务热线。',
    'error.unknown_command.title': '无法换箱格',
    'error.unknown_command.body': '此情况已报告给服务大厅。请拨打 12345 政务服务热线，工作人员会帮您处理。',
    'error.not_jammed.title': '无法换箱格',
    'error.not_jammed.body': '此情况已报告给服务大厅。请拨打 12345 政务服务热线，工作人员会帮您处理。',
    'error.not_reassignable.title': '无法换箱格',
    'error.not_reassignable.body': '箱内的材料安全无损。此情况已报告给服务大厅，工作人员会来开门。请拨打 12345 政务服务热线。',
    'error.no_free_compartment.title': '现在没有其他空箱格',
    'error.no_free_compartment.body': '此情况已报告给服务大厅。请拨打 12345 政务服务热线重新预约，或选择 EMS 免费邮寄、到窗口办理。',
    'error.generic.title': '出了点问题',
    'error.generic.body': '请再试一次。如果还是不行，请拨打 12345 政务服务热线。',
  },
  en: {
    'app.title': 'Government Services · 24-hour Document Locker',
    'lang.switch': '中文',
    'lang.switch.label': '切换到中文',

    'start.heading': 'Enter your open-code',
    'start.hint': 'The open-code is the 8 digits in your text message',
    'start.scan': 'Or hold your QR code under the scanner below',
    'start.open': 'Open the door',
    'start.next': 'Next',
    'start.factor.heading': 'Now the last 6 digits of your phone number',
    'start.factor.hint': 'The phone the code was sent to (couriers: the 6-digit PIN in the order)',
    'keypad.factor.label': 'Digits entered so far',
    'keypad.clear': 'Clear',
    'keypad.back': 'Delete',
    'keypad.back.label': 'Delete one digit',
    'keypad.digits.label': 'Code entered so far',

    'working.heading': 'Checking your code…',
    'working.body': 'Please wait',
    'another.working': 'Finding another empty compartment…',

    'open.badge': 'No. {door}',
    'open.heading': 'Door {door} is open',
    'open.deposit': 'Put your documents in, then close the door.',
    'open.collect': 'Take your documents out, then close the door.',
    'open.courier_pickup': 'Take the envelope out, then close the door.',
    'open.courier_deliver': 'Put the envelope in, then close the door.',
    'open.note': 'When the door is closed, this screen moves on by itself.',
    'open.visit.next': 'Next: door {next}.',
    'open.visit.last': 'This is the last door.',

    'done.heading': 'Thank you! Door {door} is closed',
    'done.deposit': 'Your documents have been handed in.',
    'done.deposit.empty':
      'The door is closed, but nothing was seen inside. If your documents are not in the compartment, please call the 12345 service hotline.',
    'done.collect': 'Collection complete. Please check you have all your documents.',
    'done.courier_pickup': 'Pickup complete.',
    'done.courier_deliver': 'Delivery complete.',
    'done.tracking.label': 'Your tracking number',
    'done.tracking.note': 'Take a photo or write it down to follow your application online.',
    'done.finish': 'Finish',

    'action.retry': 'Try again',
    'action.home': 'Back to start',
    'action.another': 'Use another empty compartment',

    'door.failed.title': 'Door {door} did not open',
    'door.failed.body':
      'Your code has been used, and this has been reported to the service hall. Please call the 12345 service hotline and staff will help you.',
    'door.unconfirmed.title': 'Did door {door} open?',
    'door.unconfirmed.body': 'The locker could not tell whether the door opened. Please look at the door and tell us.',
    'door.answered.not_opened.title': 'Thank you: door {door} did not open',
    'door.answered.not_opened.body':
      'Your code can still be used: please enter it again. This has been reported to the service hall; if the door still does not open, call the 12345 service hotline.',
    'door.not_sent.title': 'Door {door} did not open',
    'door.not_sent.body':
      'The locker cannot work its doors right now. Your code has not been used: please try again in a moment. This has been reported to the service hall.',
    'action.opened': 'Yes, it opened',
    'action.not_opened': 'No, it did not open',
    'door.jammed.title': 'Door {door} is stuck and did not open',
    'door.jammed.offer': 'You can use another empty compartment for your documents instead.',
    'door.jammed.inside':
      'The documents inside are safe. This has been reported to the service hall and staff will open the door. Please call the 12345 service hotline to arrange collection.',

    'error.code_invalid.title': 'That code is not right',
    'error.code_invalid.body':
      'Check the 8-digit code in your text message and the last 6 digits of the phone it was sent to, and enter them again. Scanning the QR code opens at once.',
    'error.code_expired.title': 'This code has expired',
    'error.code_expired.body': 'Get a new code on the government service website or WeChat account, or call the 12345 service hotline.',
    'error.code_used.title': 'This code has already been used',
    'error.code_used.body': 'Each code opens a door once. To open it again, get a new code or call the 12345 service hotline.',
    'error.keypad_slowed.title': 'Please wait {seconds} s, then try again',
    'error.keypad_slowed.body':
      'Several wrong codes were typed here lately, so for safety the keypad waits a little. Scanning the QR code from your message opens at once.',
    'error.locked_out.title': 'Too many wrong codes',
    'error.locked_out.body': 'For safety, this locker is not taking codes for a while. Please wait a few minutes, then try again.',
    'error.bad_request.title': 'That code could not be read',
    'error.bad_request.body': 'Please type it again, or scan the QR code again.',
    'error.hub_unreachable.title': 'Codes cannot be checked right now',
    'error.hub_unreachable.body':
      'The locker cannot reach the service centre. Please try again in a few minutes. If it keeps happening, call the 12345 service hotline.',
    'error.unknown_command.title': 'Another compartment cannot be used',
    'error.unknown_command.body':
      'This has been reported to the service hall. Please call the 12345 service hotline and staff will help you.',
    'error.not_jammed.title': 'Another compartment cannot be used',
    'error.not_jammed.body': 'This has been reported to the service hall. Please call the 12345 service hotline and staff will help you.',
    'error.not_reassignable.title': 'Another compartment cannot be used',
    'error.not_reassignable.body':
      'The documents inside are safe. This has been reported to the service hall and staff will open the door. Please call the 12345 service hotline.',
    'error.no_free_compartment.title': 'No other compartment is free now',
    'error.no_free_compartment.body':
      'This has been reported to the service hall. Please call the 12345 service hotline to book again, or send your documents by free EMS mail, or hand them in at the counter.',
    'error.generic.title': 'Something went wrong',
    'error.generic.body': 'Please try again. If it still does not work, call the 12345 service hotline.',
  },
};

/** The text for a key in a language, with {name} placeholders filled in. */
export function translate(lang, key, vars = {}) {
  const text = STRINGS[lang]?.[key] ?? STRINGS['zh-CN'][key];
  if (text === undefined) throw new Error(`no text for ${key}`);
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}
