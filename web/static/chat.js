// The resident's chat with the council's assistant.
//
// Everything the bot or the resident wrote is put on the page as text (textContent and
// createElement), never parsed as HTML; links in it become <a> elements whose href is checked.
// The conversation (its id and what was said) lives in this tab's sessionStorage, so a reload
// keeps it and closing the tab or "Leave this site" forgets it.
import { Button, ExitThisPage, ServiceNavigation, SkipLink, createAll } from '/vendor/govuk-frontend.min.js'

const STORE_SENDER = 'asbcr.chat.sender'
const STORE_TRANSCRIPT = 'asbcr.chat.transcript'
const REQUEST_TIMEOUT_MS = 75000

// How the answer box helps with each question (autocomplete, keyboard, size, hint).
const ASK_INPUT = {
  concern: { rows: 3, hint: 'Choose one of the options, or tell us in your own words.' },
  incident_count: { inputmode: 'numeric', hint: 'A number is fine, for example 4.' },
  incident_dates: { rows: 2, hint: 'Give all the dates in one answer, for example 3 October, 20 October and 1 November. You can also add dates one at a time below.' },
  reported_to: { hint: 'Tell us everyone you reported it to, for example "the police and the council".' },
  applicant_name: { autocomplete: 'name', hint: 'Your full name.' },
  applicant_email: { autocomplete: 'email', inputmode: 'email', hint: 'For example name@example.org, or type "none".' },
  applicant_phone: { autocomplete: 'tel', inputmode: 'tel', hint: 'For example 07700 900123, or type "none".' },
  address: { autocomplete: 'street-address', rows: 3, hint: 'Include the postcode.' },
  victim_name: { hint: 'The full name of the person you are applying for.' },
  description: { rows: 5, hint: 'Who is involved, where, and what they do.' },
  impact: { rows: 5, hint: 'For example on your sleep, health, work or feeling safe at home.' }
}
const DEFAULT_HINT = 'Type your answer and press Enter or select Send. For a new line, press Shift and Enter.'

// What a "Change" link in the check of answers sends, and what it changes (for screen readers).
const CHANGE = {
  incidents: { message: 'change the incidents', what: 'the incidents' },
  ongoing: { message: "change whether it's still happening", what: "whether it's still happening" },
  onBehalf: { message: "change who it's for", what: 'who you are applying for' },
  related: { message: "change whether they're about the same problem", what: 'whether the incidents are about the same problem' },
  complaint: { message: 'change the complaint', what: 'the complaint about staff' },
  completed: { message: 'change the complaint', what: 'whether the complaints procedure has finished' },
  review: { message: 'change the review', what: 'whether a case review was already held' }
}

const CONSENT_WORDS = new Map([[true, 'they have agreed'], [false, 'they have said no']])

// The words about a decision and its check come with them from the bot (the partnership's file:
// CONTRACT.md, Decision, `words`); the page keeps no words of its own for outcomes, defaults or
// bodies. A code with no words (a conversation stored before they were sent) shows as the code.
const codeInWords = (code) => String(code).replace(/_/g, ' ')

/** The decision's sentences for the defaults it relied on (`assumed`), each once. */
function assumedInWords (keys, said) {
  const words = []
  for (const key of keys) {
    const phrase = (said && typeof said[key] === 'string' && said[key]) || codeInWords(key)
    if (!words.includes(phrase)) words.push(phrase)
  }
  return words.join('; ')
}

/** A `reported_to` code as the partnership names it in a sentence. */
function bodyInWords (code, bodies) {
  return (bodies && typeof bodies[code] === 'string' && bodies[code]) || codeInWords(code)
}

// Letters and digits only, for telling whether two sentences say the same.
const gist = (text) => String(text || '').toLowerCase().replace(/[^a-z0-9]+/g, '')

const $ = (id) => document.getElementById(id)
const main = $('main-content')
const config = {
  startMessage: main.dataset.startMessage,
  restartMessage: main.dataset.restartMessage,
  applyMessage: main.dataset.applyMessage,
  phone: main.dataset.phone,
  today: main.dataset.today
}
const ui = {
  transcript: $('transcript'),
  typing: $('typing'),
  announcer: $('announcer'),
  problem: $('problem'),
  choices: $('choices'),
  form: $('composer'),
  group: $('message-group'),
  input: $('message'),
  hint: $('message-hint'),
  error: $('message-error'),
  datePicker: $('date-picker'),
  dateError: $('date-error'),
  day: $('date-day'),
  month: $('date-month'),
  year: $('date-year'),
  addDate: $('add-date'),
  send: $('send'),
  restart: $('start-again'),
  heading: $('conversation-heading')
}

let sender = null
let transcript = [] // [{from: 'user' | 'bot', text, buttons, custom}]
let busy = false
let retry = null // what to do when the resident presses "Try again"
let generation = 0 // bumped by "Start again": answers to an older conversation are dropped

// ---- storage -------------------------------------------------------------------------

function newSenderId () {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function load () {
  try {
    sender = sessionStorage.getItem(STORE_SENDER)
    transcript = JSON.parse(sessionStorage.getItem(STORE_TRANSCRIPT) || '[]')
    if (!Array.isArray(transcript)) transcript = []
  } catch (e) {
    transcript = []
  }
  if (!sender) {
    sender = newSenderId()
    transcript = []
  }
  save()
}

function save () {
  try {
    sessionStorage.setItem(STORE_SENDER, sender)
    sessionStorage.setItem(STORE_TRANSCRIPT, JSON.stringify(transcript))
  } catch (e) {
    // Private browsing can refuse storage: the chat still works, a reload starts again.
  }
}

function forget () {
  try {
    sessionStorage.removeItem(STORE_SENDER)
    sessionStorage.removeItem(STORE_TRANSCRIPT)
  } catch (e) { /* nothing stored */ }
}

// ---- text to safe nodes --------------------------------------------------------------

// URLs, www. addresses, email addresses and UK phone numbers (0115 907 2274, 07700 900123).
const LINKABLE = /(https?:\/\/[^\s<>"']+|\bwww\.[^\s<>"']+\.[^\s<>"']+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|(?:\+44\s?|\b0)\d{2,4}(?:[ -]?\d{3,4}){1,2}\b)/g
const TRAILING_PUNCTUATION = /[.,;:!?)\]}'"]+$/

function hrefFor (match) {
  if (/^https?:\/\//i.test(match) || /^www\./i.test(match)) {
    try {
      const url = new URL(/^www\./i.test(match) ? `https://${match}` : match)
      return (url.protocol === 'https:' || url.protocol === 'http:') ? url.href : null
    } catch (e) {
      return null
    }
  }
  if (match.includes('@')) return `mailto:${match}`
  const digits = match.replace(/[^\d+]/g, '')
  const count = digits.replace('+44', '0').length
  return (count === 10 || count === 11) ? `tel:${digits}` : null
}

/** Appends `text` to `parent` as text nodes, with links as <a> elements. */
function appendLinkified (parent, text) {
  let last = 0
  for (const found of String(text).matchAll(LINKABLE)) {
    let match = found[0]
    const trailing = match.match(TRAILING_PUNCTUATION)
    if (trailing && !match.includes('@')) match = match.slice(0, -trailing[0].length)
    const href = hrefFor(match)
    if (!href) continue
    parent.append(document.createTextNode(text.slice(last, found.index)))
    const link = document.createElement('a')
    link.className = 'govuk-link'
    link.href = href
    link.textContent = match
    parent.append(link)
    last = found.index + match.length
  }
  parent.append(document.createTextNode(String(text).slice(last)))
  return parent
}

function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined && text !== null) node.textContent = String(text)
  return node
}

// GOV.UK warning text: the "!" icon, a hidden "Warning" for screen readers, then the words.
function warningText (words) {
  const warning = el('div', 'govuk-warning-text')
  const icon = el('span', 'govuk-warning-text__icon', '!')
  icon.setAttribute('aria-hidden', 'true')
  warning.append(icon)
  const strong = el('strong', 'govuk-warning-text__text')
  strong.append(el('span', 'govuk-visually-hidden', 'Warning'))
  strong.append(document.createTextNode(words))
  warning.append(strong)
  return warning
}

function longDate (iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ''))
  if (!match) return String(iso || '')
  const date = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]))
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(date)
}

/** "a", "a and b", "a, b and c". */
function joinWords (words) {
  if (words.length < 2) return words.join('')
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
}

function safeLink (url) {
  if (typeof url !== 'string' || !url) return null
  try {
    const parsed = new URL(url, window.location.href)
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') ? parsed.href : null
  } catch (e) {
    return null
  }
}

// ---- messages as Rasa sends them -----------------------------------------------------

/** Rasa's messages as transcript entries; a custom payload sent on its own joins the text before it. */
function botEntries (messages) {
  const entries = []
  for (const message of messages) {
    if (!message || typeof message !== 'object') continue
    const custom = (message.custom && typeof message.custom === 'object') ? message.custom : null
    const text = typeof message.text === 'string' ? message.text : ''
    const buttons = Array.isArray(message.buttons)
      ? message.buttons.filter((b) => b && typeof b.title === 'string' && typeof b.payload === 'string')
      : []
    const previous = entries[entries.length - 1]
    if (!text && !buttons.length && custom && previous) {
      previous.custom = Object.assign({}, previous.custom, custom)
      continue
    }
    if (!text && !buttons.length && !custom) continue
    entries.push({ from: 'bot', text, buttons, custom: custom || {} })
  }
  return entries
}

/** The bot's entries since the resident last spoke: the question now open. */
function latestReply () {
  const reply = []
  for (let i = transcript.length - 1; i >= 0 && transcript[i].from === 'bot'; i--) reply.unshift(transcript[i])
  return reply
}

function currentAsk () {
  const reply = latestReply()
  for (let i = reply.length - 1; i >= 0; i--) {
    if (reply[i].custom && typeof reply[i].custom.ask === 'string') return reply[i].custom.ask
  }
  return null
}

// ---- rendering -----------------------------------------------------------------------

function bubble (who, entry) {
  const item = el('li', `chat-message chat-message--${entry.from}`)
  const box = el('div', 'chat-message__bubble')
  box.append(el('span', 'chat-message__who', who))
  box.append(appendLinkified(el('p', 'chat-message__text'), entry.text || ''))
  item.append(box)
  return item
}

function summaryRow (list, key, value) {
  const row = el('div', 'govuk-summary-list__row')
  row.append(el('dt', 'govuk-summary-list__key', key))
  row.append(el('dd', 'govuk-summary-list__value', value))
  list.append(row)
}

function decisionPanel (decision, text, offerApply) {
  const outcome = String(decision.outcome || '')
  const item = el('li', 'chat-message chat-message--bot chat-message--panel chat-decision')
  item.dataset.outcome = outcome
  const panel = el('div', 'govuk-panel govuk-panel--interruption')
  const words = (decision.words && typeof decision.words === 'object') ? decision.words : {}
  const titleText = (typeof words.title === 'string' && words.title) || 'What you can do next'
  const title = el('h3', 'govuk-panel__title', titleText)
  title.tabIndex = -1
  panel.append(title)
  const summary = decision.summary || text || ''
  if (gist(summary) !== gist(titleText)) { // the summary often says just what the title says
    const body = el('div', 'govuk-panel__body')
    body.append(appendLinkified(el('p', 'govuk-body'), summary))
    panel.append(body)
  }
  if (offerApply) {
    const actions = el('div', 'govuk-panel__actions')
    const start = el('button', 'govuk-button govuk-button--inverse', 'Start your application')
    start.type = 'button'
    start.dataset.payload = config.applyMessage
    start.addEventListener('click', () => sendMessage(config.applyMessage, 'Start my application', { viaButton: true }))
    actions.append(start)
    panel.append(actions)
  }
  item.append(panel)

  if (outcome === 'emergency') {
    item.append(warningText('If you or someone else is in danger now, call 999.'))
  }

  const reasons = Array.isArray(decision.reasons) ? decision.reasons.filter((r) => r && r.text) : []
  if (reasons.length) {
    item.append(el('h4', 'govuk-heading-s', 'Why'))
    const list = el('ul', 'govuk-list govuk-list--bullet')
    for (const reason of reasons) list.append(appendLinkified(el('li'), reason.text))
    item.append(list)
  }
  const steps = Array.isArray(decision.next_steps) ? decision.next_steps.filter((s) => typeof s === 'string' && s) : []
  if (steps.length) {
    item.append(el('h4', 'govuk-heading-s', 'What to do next'))
    const list = el('ol', 'govuk-list govuk-list--number chat-decision__steps')
    for (const step of steps) list.append(appendLinkified(el('li'), step))
    item.append(list)
  }

  const facts = el('dl', 'govuk-summary-list govuk-summary-list--no-border chat-decision__summary')
  if (Number.isInteger(decision.qualifying_incidents)) {
    summaryRow(facts, 'Reported incidents that count', String(decision.qualifying_incidents))
  }
  if (decision.window_start) summaryRow(facts, 'Counted from', longDate(decision.window_start))
  const assumed = Array.isArray(decision.assumed) ? decision.assumed : []
  if (assumed.length) {
    summaryRow(facts, 'Where you did not say, we assumed', assumedInWords(assumed, words.assumed))
  }
  if (facts.children.length) {
    item.append(el('h4', 'govuk-heading-s', 'What this is based on'))
    item.append(facts)
  }
  return item
}

function applicationPanel (application, text) {
  const item = el('li', 'chat-message chat-message--bot chat-message--panel chat-application')
  item.dataset.reference = String(application.reference || '')
  const panel = el('div', 'govuk-panel govuk-panel--confirmation')
  const title = el('h3', 'govuk-panel__title', 'Application sent')
  title.tabIndex = -1
  panel.append(title)
  const body = el('div', 'govuk-panel__body')
  body.append(document.createTextNode('Your reference'))
  body.append(el('br'))
  body.append(el('strong', 'chat-application__reference', application.reference || ''))
  panel.append(body)
  item.append(panel)
  if (application.acknowledge_by) {
    item.append(el('p', 'govuk-body',
      `The Community Safety Officer will confirm they have received it by ${longDate(application.acknowledge_by)}.`))
  }
  const link = safeLink(application.private_url)
  if (link) {
    const para = el('p', 'govuk-body')
    para.append(document.createTextNode('You can see and download your application here: '))
    const anchor = el('a', 'govuk-link chat-application__link', 'your application (private link)')
    anchor.href = link
    para.append(anchor)
    item.append(para)
    item.append(warningText('Keep this link private: anyone who has it can see your application. Write down your reference too.'))
  } else if (text) {
    item.append(appendLinkified(el('p', 'govuk-body'), text))
  }
  return item
}

// ---- check your answers --------------------------------------------------------------

/** The rows of the check of answers for the case facts `facts` (CONTRACT.md, Case facts); `bodies` names the bodies. */
function checkRows (facts, bodies) {
  const rows = []
  const incidents = Array.isArray(facts.incidents) ? facts.incidents.filter((i) => i && typeof i === 'object') : []
  for (const incident of incidents) {
    const names = (Array.isArray(incident.reported_to) ? incident.reported_to : [])
      .map((body) => bodyInWords(body, bodies))
    const told = names.length ? `Told ${joinWords(names)}` : 'Not reported to anyone yet'
    const when = incident.reported_on && incident.reported_on !== incident.date
      ? ` on ${longDate(incident.reported_on)}`
      : ''
    const lines = [`${told}${when}`]
    if (incident.reference) lines.push(`Reference: ${incident.reference}`)
    const date = longDate(incident.date)
    rows.push({ key: date, lines, change: CHANGE.incidents, what: `the incident on ${date}` })
  }
  if (!incidents.length) {
    rows.push({ key: 'Incidents reported', lines: ['None yet'], change: CHANGE.incidents })
  }
  if (incidents.length > 1) {
    rows.push({ key: 'About the same problem', lines: [facts.incidents_related === false ? 'No' : 'Yes'], change: CHANGE.related })
  }
  rows.push({ key: 'Still happening', lines: [facts.asb_ongoing === false ? 'No, it has stopped' : 'Yes'], change: CHANGE.ongoing })
  const forWhom = facts.on_behalf === true
    ? `Someone else (${CONSENT_WORDS.get(facts.consent) || 'they have not been asked yet'})`
    : 'Yourself'
  rows.push({ key: 'Applying for', lines: [forWhom], change: CHANGE.onBehalf })
  if (facts.staff_conduct === true) {
    const about = facts.complained_about ? bodyInWords(facts.complained_about, bodies) : null
    rows.push({ key: 'A complaint about staff', lines: [about ? `Yes, about ${about}` : 'Yes'], change: CHANGE.complaint })
    rows.push({ key: 'Complaints procedure finished', lines: [facts.complaint_completed === true ? 'Yes' : 'No'], change: CHANGE.completed })
  }
  if (facts.previous_review === true) {
    rows.push({ key: 'A case review already held', lines: ['Yes, and you are unhappy with the outcome'], change: CHANGE.review })
  }
  return rows
}

/** A link-styled button that sends `message`; its visually hidden words say what it changes. */
function changeButton (change, what) {
  const button = el('button', 'chat-link-button', 'Change')
  button.type = 'button'
  button.dataset.payload = change.message
  button.append(el('span', 'govuk-visually-hidden', ` ${what || change.what}`))
  const shown = change.message.charAt(0).toUpperCase() + change.message.slice(1)
  button.addEventListener('click', () => sendMessage(change.message, shown, { viaButton: true }))
  return button
}

/**
 * The bot's text around its plain-text list: the lines before the list (lead) and after it.
 * The list itself is shown as the summary list, not a second time as text.
 */
function splitCheckText (text) {
  const lead = []
  const after = []
  let seenList = false
  for (const line of String(text || '').split('\n')) {
    if (/^\s*[-*\u2022]\s/.test(line)) { seenList = true; continue }
    ;(seenList ? after : lead).push(line)
  }
  return { lead: lead.join('\n').trim(), after: after.join('\n').trim() }
}

/** The check of answers: a GOV.UK summary list, with Change links while it is the open question. */
function checkPanel (facts, text, current, bodies) {
  const item = el('li', 'chat-message chat-message--bot chat-message--panel chat-check')
  if (current) item.classList.add('chat-check--current')
  const box = el('div', 'chat-check__box')
  box.append(el('span', 'chat-message__who', 'The assistant said'))
  const title = el('h3', 'govuk-heading-m chat-check__title', 'Check your answers')
  title.tabIndex = -1
  box.append(title)
  const { lead, after } = splitCheckText(text)
  if (lead) box.append(appendLinkified(el('p', 'govuk-body chat-check__lead'), lead))
  const list = el('dl', 'govuk-summary-list chat-check__list')
  for (const row of checkRows(facts, bodies)) {
    const line = el('div', 'govuk-summary-list__row')
    line.append(el('dt', 'govuk-summary-list__key', row.key))
    const value = el('dd', 'govuk-summary-list__value')
    row.lines.forEach((words, index) => {
      if (index) value.append(el('br'))
      value.append(document.createTextNode(words))
    })
    line.append(value)
    if (current) {
      const actions = el('dd', 'govuk-summary-list__actions')
      actions.append(changeButton(row.change, row.what))
      line.append(actions)
    }
    list.append(line)
  }
  box.append(list)
  if (after) box.append(appendLinkified(el('p', 'govuk-body chat-check__after'), after))
  item.append(box)
  return item
}

/** The bot's own button for starting the application ("/apply_now" and "apply now" alike). */
function isApplyButton (button) {
  return Boolean(config.applyMessage) && gist(button.payload) === gist(config.applyMessage)
}

function sameDecision (a, b) {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** The element for one transcript entry. `context` says what came before it. */
function renderEntry (entry, context) {
  if (entry.from === 'user') return bubble('You said', entry)
  const custom = entry.custom || {}
  let item
  if (custom.application && typeof custom.application === 'object') {
    item = applicationPanel(custom.application, entry.text)
  } else if (custom.decision && typeof custom.decision === 'object' && !sameDecision(custom.decision, context.lastDecision)) {
    item = decisionPanel(custom.decision, entry.text, context.offerApply && custom.decision.outcome === 'apply')
    context.lastDecision = custom.decision
  } else if (custom.check && typeof custom.check === 'object' && !Array.isArray(custom.check)) {
    const words = (custom.words && typeof custom.words === 'object') ? custom.words : {}
    item = checkPanel(custom.check, entry.text, context.current, words.bodies)
  } else {
    item = bubble('The assistant said', entry)
    // The second of several messages in a row: one "The assistant said" is enough to see.
    if (context.previous && context.previous.from === 'bot') item.classList.add('chat-message--continued')
  }
  if (typeof custom.ask === 'string') item.dataset.ask = custom.ask
  return item
}

function renderAll () {
  ui.transcript.replaceChildren()
  const context = { lastDecision: null, offerApply: false, current: false, previous: null }
  const reply = latestReply()
  transcript.forEach((entry) => {
    context.current = reply.includes(entry)
    context.offerApply = context.current && !reply.some((e) => e.buttons.some(isApplyButton))
    ui.transcript.append(renderEntry(entry, context))
    context.previous = entry
  })
  return context
}

function renderChoices () {
  ui.choices.replaceChildren()
  const reply = latestReply()
  const ask = currentAsk()
  // Only the buttons the bot sent; a change the check's own Change links offer is not repeated.
  let buttons = []
  for (let i = reply.length - 1; i >= 0; i--) {
    if (reply[i].buttons.length) { buttons = reply[i].buttons; break }
  }
  const changes = new Set(Array.from(ui.transcript.querySelectorAll('.chat-check--current button[data-payload]'),
    (button) => gist(button.dataset.payload)))
  buttons = buttons.filter((choice) => !changes.has(gist(choice.payload)))
  if (!buttons.length) return
  const group = el('div', 'govuk-button-group')
  group.setAttribute('role', 'group')
  group.setAttribute('aria-label', 'Quick answers')
  for (const choice of buttons) {
    // Starting the application, and confirming the check of answers, are the main way on.
    const primary = isApplyButton(choice) ||
      (ask === 'check' && choice === buttons[0] && !/^\W*change\b/i.test(choice.payload))
    const button = el('button', primary ? 'govuk-button' : 'govuk-button govuk-button--secondary', choice.title)
    button.type = 'button'
    button.dataset.payload = choice.payload
    button.addEventListener('click', () => sendMessage(choice.payload, choice.title, { viaButton: true }))
    group.append(button)
  }
  ui.choices.append(group)
}

function configureComposer () {
  const ask = currentAsk()
  const settings = ASK_INPUT[ask] || {}
  ui.form.dataset.ask = ask || ''
  ui.hint.textContent = settings.hint ? `${settings.hint} Press Enter to send.` : DEFAULT_HINT
  ui.input.rows = settings.rows || 2
  ui.input.setAttribute('autocomplete', settings.autocomplete || 'off')
  if (settings.inputmode) ui.input.setAttribute('inputmode', settings.inputmode)
  else ui.input.removeAttribute('inputmode')
  ui.datePicker.hidden = ask !== 'incident_dates'
}

function refresh () {
  const context = renderAll()
  renderChoices()
  configureComposer()
  return context
}

// ---- problems ------------------------------------------------------------------------

/**
 * Shows "There is a problem" with `message`. `fieldError` marks the answer box with that error;
 * `dateError` marks the date fields instead (`dateFields`: the ones that are wrong).
 */
function showProblem (message, { fieldError = null, retryLabel = null, dateError = null, dateFields = [] } = {}) {
  ui.problem.replaceChildren()
  const summary = el('div', 'govuk-error-summary')
  const alert = el('div')
  alert.setAttribute('role', 'alert')
  alert.append(el('h2', 'govuk-error-summary__title', 'There is a problem'))
  const body = el('div', 'govuk-error-summary__body')
  body.append(appendLinkified(el('p', 'govuk-body'), message))
  const list = el('ul', 'govuk-list govuk-error-summary__list')
  const item = el('li')
  if (retryLabel && retry) {
    const again = el('button', 'govuk-button govuk-button--secondary chat__retry', retryLabel)
    again.type = 'button'
    again.addEventListener('click', () => { const run = retry; retry = null; run() })
    item.append(again)
  } else if (dateError) {
    const first = dateFields[0] || ui.day
    const link = el('a', null, dateError)
    link.href = `#${first.id}`
    link.addEventListener('click', (event) => { event.preventDefault(); first.focus() })
    item.append(link)
  } else {
    const link = el('a', null, fieldError ? 'Go to your answer' : 'Send your message again')
    link.href = '#message'
    link.addEventListener('click', (event) => { event.preventDefault(); ui.input.focus() })
    item.append(link)
  }
  list.append(item)
  body.append(list)
  alert.append(body)
  summary.append(alert)
  ui.problem.append(summary)
  if (fieldError) {
    ui.group.classList.add('govuk-form-group--error')
    ui.input.classList.add('govuk-textarea--error')
    ui.error.replaceChildren(el('span', 'govuk-visually-hidden', 'Error:'), document.createTextNode(` ${fieldError}`))
    ui.error.hidden = false
    ui.input.setAttribute('aria-describedby', 'message-hint message-error')
  }
  if (dateError) {
    ui.datePicker.classList.add('govuk-form-group--error')
    ui.dateError.replaceChildren(el('span', 'govuk-visually-hidden', 'Error:'), document.createTextNode(` ${dateError}`))
    ui.dateError.hidden = false
    ui.datePicker.querySelector('fieldset').setAttribute('aria-describedby', 'date-hint date-error')
    for (const input of dateFields) input.classList.add('govuk-input--error')
  }
  ui.problem.focus()
}

function clearProblem () {
  ui.problem.replaceChildren()
  ui.group.classList.remove('govuk-form-group--error')
  ui.input.classList.remove('govuk-textarea--error')
  ui.error.hidden = true
  ui.error.replaceChildren()
  ui.input.setAttribute('aria-describedby', 'message-hint')
  ui.datePicker.classList.remove('govuk-form-group--error')
  ui.dateError.hidden = true
  ui.dateError.replaceChildren()
  ui.datePicker.querySelector('fieldset').setAttribute('aria-describedby', 'date-hint')
  for (const input of [ui.day, ui.month, ui.year]) input.classList.remove('govuk-input--error')
}

function announce (text) {
  ui.announcer.textContent = ''
  // A fresh node after a pause makes screen readers read the same words twice in a row too.
  window.setTimeout(() => { ui.announcer.textContent = text }, 100)
}

// ---- talking to the bot --------------------------------------------------------------

class ChatError extends Error {}

async function postMessage (message, id = sender) {
  const controller = new AbortController()
  const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS)
  let response
  try {
    response = await fetch('/api/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ sender: id, message }),
      signal: controller.signal
    })
  } catch (e) {
    throw new ChatError(`We cannot reach the council's assistant. Check your internet connection and try again. You can also call ${config.phone}.`)
  } finally {
    window.clearTimeout(timer)
  }
  let data = null
  try { data = await response.json() } catch (e) { data = null }
  if (!response.ok) {
    const said = data && typeof data.message === 'string' ? data.message : 'The assistant could not answer just now.'
    throw new ChatError(`${said} You can also call ${config.phone}.`)
  }
  return Array.isArray(data) ? data : []
}

function setBusy (value) {
  busy = value
  ui.typing.hidden = !value
  ui.transcript.setAttribute('aria-busy', String(value))
  ui.send.disabled = value
  ui.input.readOnly = value
  for (const button of ui.choices.querySelectorAll('button')) button.disabled = value
  for (const button of ui.transcript.querySelectorAll('.govuk-panel__actions button, .chat-check button')) button.disabled = value
}

/**
 * Sends `message` to the bot. `shown` is what the resident sees as their words (a button's
 * title); hidden messages (opening the conversation) show nothing.
 */
async function sendMessage (message, shown, { viaButton = false, hidden = false } = {}) {
  if (busy) return
  clearProblem()
  const typed = !viaButton && !hidden
  const userEntry = hidden ? null : { from: 'user', text: shown, buttons: [], custom: {} }
  let pending = null
  if (userEntry) {
    pending = bubble('You said', userEntry)
    pending.classList.add('chat-message--sending')
    ui.transcript.append(pending)
  }
  if (typed) ui.input.value = ''
  setBusy(true)
  // The opening message is sent as the page loads: the page stays at its top (the 999 warning).
  if (!hidden) ui.typing.scrollIntoView({ block: 'nearest' })
  const mine = generation
  let messages
  try {
    messages = await postMessage(message)
  } catch (error) {
    if (mine !== generation) return
    setBusy(false)
    if (pending) pending.remove()
    if (typed) ui.input.value = message // nothing typed is lost
    // A typed message waits in the box to be sent again; a hidden one or a button's is retried for them.
    retry = typed ? null : () => sendMessage(message, shown, { viaButton, hidden })
    showProblem(error.message, { retryLabel: typed ? null : 'Try again' })
    return
  }
  if (mine !== generation) return
  const entries = botEntries(messages)
  if (userEntry) transcript.push(userEntry)
  transcript.push(...entries)
  save()
  setBusy(false)
  refresh()
  afterReply(entries, { viaButton, moveFocus: !hidden })
}

function afterReply (entries, { viaButton, moveFocus }) {
  const shown = entries.map((entry) => ({ entry, item: ui.transcript.children[transcript.indexOf(entry)] }))
    .filter(({ item }) => item)
  const items = shown.map(({ item }) => item)
  const panelTitle = items.map((item) => item.querySelector('.govuk-panel__title, .chat-check__title')).find(Boolean)
  const words = shown.map(({ entry, item }) => {
    const title = item.querySelector('.govuk-panel__title')
    if (title) {
      const body = item.querySelector('.govuk-panel__body')
      return `${title.textContent}. ${body ? body.textContent : ''}`
    }
    // The check of answers is read out as the bot wrote it: its plain-text list in words.
    if (item.classList.contains('chat-check')) return `Check your answers. ${entry.text || ''}`
    const text = item.querySelector('.chat-message__text')
    return text ? text.textContent : ''
  }).filter(Boolean)
  const choices = Array.from(ui.choices.querySelectorAll('button'))
  if (choices.length) words.push(`Answers you can choose: ${choices.map((b) => b.textContent).join(', ')}.`)
  announce(words.join(' '))
  // Opening the conversation leaves focus where it is: the resident reads the introduction first.
  if (!moveFocus) return

  // Focus: a decision, confirmation or check of answers is read from its title; after a button, the next buttons;
  // otherwise the answer box, so typing carries on.
  if (panelTitle) {
    panelTitle.focus()
  } else if (viaButton && choices.length) {
    choices[0].focus()
  } else {
    ui.input.focus({ preventScroll: true })
    const last = items[items.length - 1]
    if (last) last.scrollIntoView({ block: 'nearest' })
    ui.form.scrollIntoView({ block: 'nearest' })
  }
}

// ---- the resident's controls ---------------------------------------------------------

function submitTyped (event) {
  if (event) event.preventDefault()
  if (busy) return
  const text = ui.input.value.trim()
  if (!text) {
    showProblem('Type your answer, or choose one of the answers above.', { fieldError: 'Type your answer' })
    return
  }
  sendMessage(text, text)
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september',
  'october', 'november', 'december']

/** A month as the resident wrote it (3, 03, Mar, March, Sept.) as 1 to 12, or null. */
function monthNumber (text) {
  if (/^\d{1,2}$/.test(text)) return +text >= 1 && +text <= 12 ? +text : null
  const name = text.toLowerCase().replace(/\.$/, '')
  const found = name.length >= 3 ? MONTHS.findIndex((month) => month.startsWith(name)) : -1
  return found >= 0 ? found + 1 : null
}

/**
 * The date in the day, month and year fields (UK order) as {iso} or, when it will not do,
 * {problem, fields}: the words of the error and the fields to mark (GOV.UK date input errors).
 */
function readDateFields () {
  const parts = { day: ui.day.value.trim(), month: ui.month.value.trim(), year: ui.year.value.trim() }
  const fields = { day: ui.day, month: ui.month, year: ui.year }
  const missing = Object.keys(parts).filter((name) => !parts[name])
  if (missing.length === 3) {
    return { problem: 'Enter a date before selecting Add date, or type the dates in your answer', fields: [ui.day, ui.month, ui.year] }
  }
  if (missing.length) {
    return { problem: `The date must include a ${joinWords(missing)}`, fields: missing.map((name) => fields[name]) }
  }
  const month = monthNumber(parts.month)
  if (!/^\d{4}$/.test(parts.year)) return { problem: 'The year must include 4 numbers', fields: [ui.year] }
  if (!/^\d{1,2}$/.test(parts.day) || !month) {
    return { problem: 'The date must be a real date', fields: [!/^\d{1,2}$/.test(parts.day) ? ui.day : ui.month] }
  }
  const date = new Date(Date.UTC(+parts.year, month - 1, +parts.day))
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== +parts.day) {
    return { problem: 'The date must be a real date', fields: [ui.day, ui.month, ui.year] }
  }
  const iso = date.toISOString().slice(0, 10)
  if (config.today && iso > config.today) {
    return { problem: 'The date must be today or in the past', fields: [ui.day, ui.month, ui.year] }
  }
  return { iso }
}

function addPickedDate () {
  clearProblem()
  const picked = readDateFields()
  if (picked.problem) {
    showProblem(`${picked.problem}.`, { dateError: picked.problem, dateFields: picked.fields })
    return
  }
  const words = longDate(picked.iso)
  const current = ui.input.value.replace(/\s+$/, '')
  ui.input.value = current ? (/[,;]$|\band$/.test(current) ? `${current} ${words}` : `${current}, ${words}`) : words
  for (const input of [ui.day, ui.month, ui.year]) input.value = ''
  announce(`Added ${words} to your answer.`)
  ui.day.focus()
}

async function startAgain () {
  const previous = sender
  const hadConversation = transcript.length > 0
  generation += 1
  setBusy(false)
  forget()
  sender = newSenderId()
  transcript = []
  save()
  clearProblem()
  retry = null
  ui.input.value = ''
  refresh()
  if (hadConversation && config.restartMessage) {
    // Ask the bot to close the old conversation too; the new one does not wait for it.
    postMessage(config.restartMessage, previous).catch(() => {})
  }
  ui.heading.focus()
  announce('You have started a new conversation.')
  await sendMessage(config.startMessage, null, { hidden: true })
}

// "Leave this site": forget the conversation first, then leave without a history entry.
class LeaveThisSite extends ExitThisPage {
  exitPage () {
    forget()
    ui.transcript.replaceChildren()
    ui.choices.replaceChildren()
    ui.input.value = ''
    document.body.classList.add('govuk-exit-this-page-hide-content')
    const overlay = el('div', 'govuk-exit-this-page-overlay', 'Loading.')
    overlay.setAttribute('role', 'alert')
    document.body.append(overlay)
    this.$overlay = overlay
    window.location.replace(this.$button.href)
  }
}

function start () {
  document.body.classList.add('js-enabled', 'govuk-frontend-supported')
  createAll(Button)
  createAll(SkipLink)
  createAll(ServiceNavigation)
  createAll(LeaveThisSite)

  ui.form.addEventListener('submit', submitTyped)
  ui.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) submitTyped(event)
  })
  ui.addDate.addEventListener('click', addPickedDate)
  // Enter in a date field adds the date (it would otherwise send the answer without it).
  for (const input of [ui.day, ui.month, ui.year]) {
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.isComposing) { event.preventDefault(); addPickedDate() }
    })
  }
  ui.restart.addEventListener('click', startAgain)
  // Back from another site (the page may come from the back-forward cache): show what is stored now.
  window.addEventListener('pageshow', (event) => { if (event.persisted) { load(); refresh() } })

  load()
  refresh()
  if (!transcript.length) sendMessage(config.startMessage, null, { hidden: true })
}

start()
