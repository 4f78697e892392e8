/**
 * Entities inside event payloads have the same snake_case shape as in the REST API, so a
 * workflow reads a lead the same way whether it came in an event or from `GET /api/v1/leads/:id`.
 */
export { toDemoResponse as demoData } from '../domain/demos/dto/demo-response.dto';
export { toOutreachEmailResponse as emailData } from '../domain/emails/dto/outreach-email-response.dto';
export { toLeadResponse as leadData } from '../domain/leads/dto/lead-response.dto';
export { toVideoResponse as videoData } from '../domain/videos/dto/video-response.dto';
