import { UnsupportedMediaTypeError } from '../errors/app-errors';
import { assertJsonContentType } from './json-content-type';

describe('assertJsonContentType', () => {
  it.each([
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json;charset="UTF-8"',
    'application/json; charset=utf8',
    'application/vnd.n8n+json',
  ])('accepts %s', (type) => expect(() => assertJsonContentType({ 'content-type': type })).not.toThrow());

  it.each([
    ['application/x-www-form-urlencoded', /application\/json/],
    ['multipart/form-data; boundary=x', /application\/json/],
    ['text/plain', /application\/json/],
    ['application/json; charset=utf-16', /UTF-8/],
    ['application/json; charset=latin1', /UTF-8/],
    [undefined, /application\/json$/],
  ])('refuses %s with 415', (type, message) => {
    const call = () => assertJsonContentType(type === undefined ? {} : { 'content-type': type });
    expect(call).toThrow(UnsupportedMediaTypeError);
    expect(call).toThrow(message);
  });

  it('refuses a compressed body', () => {
    expect(() => assertJsonContentType({ 'content-type': 'application/json', 'content-encoding': 'gzip' })).toThrow(/Content-Encoding/);
    expect(() => assertJsonContentType({ 'content-type': 'application/json', 'content-encoding': 'identity' })).not.toThrow();
  });
});
