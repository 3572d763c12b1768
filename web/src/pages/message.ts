// One message: its metadata, then its content side by side — raw, as the
// channel transformed it, what each destination sent and got back, and the
// error — each laid out for reading (HL7 one segment per line). Operators
// can reprocess it: the copy is a new message, opened once it is stored.
import { enc, get, post, query, type Delivery, type MessageDetail, type MessagePage, type Role } from '../api';
import { h } from '../dom';
import { time } from '../format';
import { navigate } from '../router';
import { can, session } from '../session';
import { contentView } from '../content_view';
import { confirmAction, errorBox, loading, notice, pageTitle, stateBadge } from '../ui';

function pane(title: string, cls: string, ...body: (Node | null)[]): HTMLElement {
  return h('section', { class: `pane ${cls}`, 'aria-label': title }, h('h3', null, title), ...body);
}

function jsonBlock(label: string, text: string | undefined): HTMLElement | null {
  if (!text || text === '{}' || text === 'null') return null;
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // as stored
  }
  return h('details', { class: 'extra' }, h('summary', null, label), h('pre', { class: 'content json' }, shown));
}

function deliveryPane(d: Delivery, dataType: string): HTMLElement {
  const head = h(
    'p',
    { class: 'delivery-state' },
    stateBadge(d.state),
    ` ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}, ${time(d.updated_ms)}`,
  );
  return pane(
    `Sent to ${d.destination}`,
    'sent',
    head,
    d.sent_unchanged ? h('p', { class: 'muted small' }, 'The message as transformed, unchanged:') : null,
    contentView(d.sent_content, dataType),
    h('h4', null, 'Response'),
    d.response ? contentView(d.response) : h('p', { class: 'muted small' }, 'No response.'),
    d.error ? h('div', { class: 'error-text' }, h('h4', null, 'Delivery error'), h('pre', { class: 'content' }, d.error)) : null,
  );
}

export function messagePage(root: HTMLElement, [id]: string[]): void {
  root.appendChild(loading());
  get<MessageDetail>(`/api/messages/${enc(id)}`)
    .then((m) => show(root, m))
    .catch((e) => root.replaceChildren(pageTitle(`Message #${id}`), errorBox((e as Error).message)));
}

function show(root: HTMLElement, m: MessageDetail): void {
  const result = notice();
  const reprocess = h('button', { class: 'primary', 'data-action': 'reprocess' }, 'Reprocess');
  reprocess.addEventListener('click', async () => {
    const ok = await confirmAction(
      `Reprocess message #${m.id}?`,
      `Its raw content goes through ${m.channel} again as a new message linked to this one; this message stays as it is.`,
      'Reprocess',
    );
    if (!ok) return;
    reprocess.disabled = true;
    result.clear();
    try {
      const r = await post<{ message_id: number; status: string; error: string }>(`/api/messages/${m.id}/reprocess`);
      navigate(`/messages/${r.message_id}?reprocessed_from=${m.id}&status=${enc(r.status)}`);
    } catch (e) {
      result.error(`Reprocess refused: ${(e as Error).message}`);
      reprocess.disabled = false;
    }
  });

  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', null, 'Channel'),
    h('dd', null, h('a', { href: `/channels/${enc(m.channel)}` }, m.channel)),
    h('dt', null, 'Received'),
    h('dd', null, time(m.received_at_ms)),
    h('dt', null, 'Type'),
    h('dd', null, m.message_type || '—'),
    h('dt', null, 'Control id'),
    h('dd', { 'data-field': 'control_id' }, m.control_id || '—'),
    h('dt', null, 'Patient id'),
    h('dd', null, m.patient_id || '—'),
    h('dt', null, 'Data type'),
    h('dd', null, m.data_type || '—'),
    m.origin_message_id
      ? [
          h('dt', null, 'From'),
          h('dd', null, h('a', { href: `/messages/${m.origin_message_id}` }, `#${m.origin_message_id}`), ` (${m.origin_channel})`),
        ]
      : null,
  );

  const params = new URLSearchParams(location.search);
  const from = params.get('reprocessed_from');
  const banner = from
    ? h(
        'div',
        { class: 'notice ok' },
        `Reprocessed from message #${from}: ${params.get('status') ?? 'accepted'}. `,
        h('a', { href: `/messages/${from}` }, 'Back to the original'),
      )
    : null;

  const panes = h('div', { class: 'panes' });
  const role: Role = session()?.role ?? 'viewer';
  let extra: (HTMLElement | null)[] = [];
  if (!m.content_included) {
    panes.appendChild(
      h(
        'div',
        { class: 'notice hidden-content', 'data-content': 'hidden' },
        `Content hidden for your role (${role}): only operators and admins see message content.`,
      ),
    );
  } else {
    if (m.error) panes.appendChild(pane('Error', 'error', h('pre', { class: 'content' }, m.error)));
    panes.appendChild(pane('Raw', 'raw', contentView(m.raw, m.data_type)));
    panes.appendChild(
      pane(
        'Transformed',
        'transformed',
        m.transformed
          ? contentView(m.transformed, m.transformed_type || m.data_type)
          : h('p', { class: 'muted small' }, 'The script left the message unchanged.'),
      ),
    );
    for (const d of m.deliveries) panes.appendChild(deliveryPane(d, m.transformed_type || m.data_type));
    extra = [jsonBlock('Variables (ctx.vars)', m.vars_json), jsonBlock('Source attributes', m.attributes_json)];
  }

  const deliveries = h(
    'ul',
    { class: 'deliveries' },
    m.deliveries.map((d) =>
      h('li', null, h('strong', null, d.destination), ' ', stateBadge(d.state), ` ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`),
    ),
  );

  const copies = h('div', { class: 'copies' });
  get<MessagePage>(`/api/messages${query({ origin: m.id, limit: 20 })}`)
    .then((page) => {
      if (page.messages.length === 0) return;
      copies.append(
        h('h2', null, 'Routed or reprocessed from this message'),
        h('ul', null, page.messages.map((c) => h('li', null, h('a', { href: `/messages/${c.id}` }, `#${c.id}`), ` ${c.channel} `, stateBadge(c.state), ` ${time(c.received_at_ms)}`))),
      );
    })
    .catch(() => {});

  root.replaceChildren(
    pageTitle(`Message #${m.id}`, stateBadge(m.state), can('operator') ? reprocess : ''),
    result.el,
    banner ?? '',
    facts,
    m.deliveries.length ? deliveries : h('p', { class: 'muted' }, 'No destinations.'),
    panes,
    ...extra.filter((x): x is HTMLElement => x !== null),
    copies,
  );
}
