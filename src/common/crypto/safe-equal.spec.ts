import { safeEqual } from './safe-equal';

describe('safeEqual', () => {
  it('is true only for the same text', () => {
    expect(safeEqual('s3cret-token', 's3cret-token')).toBe(true);
    expect(safeEqual('s3cret-token', 's3cret-tokeN')).toBe(false);
  });

  it('compares texts of different lengths without throwing', () => {
    expect(safeEqual('short', 'a much longer expected token')).toBe(false);
    expect(safeEqual('', 'x')).toBe(false);
  });
});
