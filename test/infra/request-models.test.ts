// API Gateway's request models and the handlers' validation agree: the models in the synthesized
// template are the ones generated from the handlers' zod schemas, and a draft-4 validator running them
// never refuses a body that a handler accepts, while both refuse every structurally wrong one. What only
// the handlers refuse (lengths, blank text, id ranges) is listed, so the split is on purpose.
import type { Template } from 'aws-cdk-lib/assertions';
import Ajv from 'ajv-draft-04';
import { removeBodyModel, upsertBodyModel } from '#lambda/shared/request-models';
import { idInput, upsertInput } from '#lambda/shared/validation';
import { removeOutdir, type SynthesizedApp, synthApp } from './synth-app';

let synthesized: SynthesizedApp;
let template: Template;

beforeAll(() => {
  synthesized = synthApp({ bundle: false });
  template = synthesized.template(synthesized.stacks.pipeline.stages.pri.app);
});
afterAll(() => removeOutdir(synthesized));

/** The model a method of /v1 validates its JSON body with, as deployed. */
function modelOf(method: 'POST' | 'DELETE'): Record<string, unknown> {
  const methods = Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: method } }));
  expect(methods).toHaveLength(1);
  const ref = methods[0].Properties.RequestModels['application/json'].Ref as string;
  const models = template.findResources('AWS::ApiGateway::Model');
  expect(models[ref].Properties.ContentType).toBe('application/json');
  return models[ref].Properties.Schema;
}

const ajv = new Ajv({ strict: false });
const isObject = (v: unknown) => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

const lone = '\uD800';
const cases = {
  POST: {
    schema: () => modelOf('POST'),
    handler: (body: unknown) => isObject(body) && upsertInput.safeParse(body).success,
    acceptedByBoth: [
      { task: 'Sample Task new', status: 'wip' },
      { id: '1', task: 'Sample Task Updated', status: 'done' },
      { id: 1, status: 'done' },
      { task: "it's 🎉 \\ '; DROP TABLE ToDos; --", status: 'wip' },
    ],
    refusedByBoth: [
      [],
      'text',
      42,
      null,
      { task: 1, status: 'wip' },
      { task: 'x', status: ['wip'] },
      { id: true, task: 'x' },
      { id: null, task: 'x', status: 'y' },
      { task: 'x', status: 'y', owner: 'me' },
      { Task: 'x', status: 'y' },
    ],
    refusedByTheHandlerOnly: [
      { task: '', status: 'wip' },
      { task: '   ', status: 'wip' },
      { task: 'x'.repeat(51), status: 'wip' },
      { task: 'x' },
      { id: '1' },
      { id: '0', task: 'x' },
      { id: '4294967296', task: 'x' },
      { id: 'abc', task: 'x' },
      { id: 1.5, task: 'x' },
      { task: `a${lone}`, status: 'wip' },
    ],
  },
  DELETE: {
    schema: () => modelOf('DELETE'),
    handler: (body: unknown) => isObject(body) && idInput.safeParse(body).success,
    acceptedByBoth: [{ id: '2' }, { id: 2 }],
    refusedByBoth: [[], 'x', 7, { id: true }, { id: ['2'] }, { id: '2', force: true }],
    // {} is accepted by the model because the id may come as ?id= with no body at all.
    refusedByTheHandlerOnly: [{}, { id: '0' }, { id: '-1' }, { id: '' }],
  },
} as const;

describe.each(Object.keys(cases) as Array<keyof typeof cases>)('%s /v1', (method) => {
  const c = cases[method];

  test('the deployed model is the one generated from the handler schema', () => {
    const generated = method === 'POST' ? upsertBodyModel() : removeBodyModel();
    expect(c.schema()).toEqual(generated);
    expect(c.schema()).toMatchObject({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', additionalProperties: false });
  });

  test('the model never refuses what the handler accepts, and both refuse every structurally wrong body', () => {
    const validate = ajv.compile(c.schema());
    const verdict = (body: unknown) => ({ body, model: validate(body), handler: c.handler(body) });
    for (const body of c.acceptedByBoth) expect(verdict(body)).toEqual({ body, model: true, handler: true });
    for (const body of c.refusedByBoth) expect(verdict(body)).toEqual({ body, model: false, handler: false });
    for (const body of c.refusedByTheHandlerOnly) expect(verdict(body)).toEqual({ body, model: true, handler: false });
  });
});
