import { expect } from 'chai';
import request from 'supertest';
import { testServer } from '../helpers/test-server';

describe('static assets', () => {
  it('serves the tool icon for the LMS’s own pages (cross-origin resource policy), other assets same-origin only', async () => {
    const icon = await request(testServer().baseUrl).get('/static/lti/fieldbook-icon.svg');
    expect(icon.status).to.equal(200);
    expect(icon.headers['content-type']).to.match(/^image\/svg\+xml/);
    // Moodle shows the icon on its tool card, activity chooser, course page and gradebook.
    expect(icon.headers['cross-origin-resource-policy']).to.equal('cross-origin');
    const css = await request(testServer().baseUrl).get('/static/app.css');
    expect(css.status).to.equal(200);
    expect(css.headers['cross-origin-resource-policy']).to.equal('same-origin');
  });
});
