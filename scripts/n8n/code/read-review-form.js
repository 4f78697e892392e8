// The reviewer's answer from the "Wait for reviewer" form. When the wait limit passes without an
// answer the Wait node goes on with its input (no Decision field): fail, so the error workflow
// reports it and the item stays pending in the bridge.
const answer = $input.first().json;
if (typeof answer.Decision !== 'string') throw new Error('No approval decision was submitted before the wait limit');
return [
  {
    json: {
      approved: answer.Decision === 'Approve',
      reviewer: answer.Reviewer ? String(answer.Reviewer).slice(0, 200) : undefined,
      notes: answer.Notes ? String(answer.Notes).slice(0, 2000) : undefined,
    },
  },
];
